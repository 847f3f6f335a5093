package dev.groupflow.agent;

import dev.groupflow.data.Prompt;
import dev.groupflow.data.PromptSource;
import dev.groupflow.sampling.SampleRng;

/**
 * The built-in agent task's tasks: a hidden digit string (the {@link GuessEnvironment} episode's secret) of
 * {@code minLength..maxLength} digits. A task is a prompt whose text is what the policy first sees ({@code "???:"},
 * one {@code ?} per hidden digit) and whose answer is the secret.
 *
 * <p>Held-out split: a secret is held out when a hash of it and the seed falls below the held-out fraction
 * ({@code agent.guess.held-out-fraction}, {@value #HELD_OUT_FRACTION} by default); training tasks come from the
 * others only, so evaluation scores secrets the policy never searched for in training. Task n is the same for a
 * given seed on every machine.
 */
public final class GuessTask implements PromptSource {
    /** The characters of every observation and guess (the built-in policy's tokenizer alphabet). */
    public static final String ALPHABET = "0123456789?<>=:";
    /** The characters only the environment writes (answers and prompts): a plain-mode policy never generates them. */
    public static final String ENVIRONMENT_ONLY = "?<>=:";
    private static final long HELD_OUT_SALT = 0x6775657373L;
    /** The default share of secrets held out. */
    public static final double HELD_OUT_FRACTION = 0.2;

    private final int minLength;
    private final int maxLength;
    private final int digits;
    private final long seed;
    private final boolean heldOut;
    private final double heldOutFraction;

    /** Secrets of digits 0-9. */
    public GuessTask(int minLength, int maxLength, long seed, boolean heldOut) {
        this(minLength, maxLength, 10, seed, heldOut);
    }

    /** With the default held-out fraction. */
    public GuessTask(int minLength, int maxLength, int digits, long seed, boolean heldOut) {
        this(minLength, maxLength, digits, seed, heldOut, HELD_OUT_FRACTION);
    }

    /**
     * @param digits each hidden digit is one of 0 .. digits-1 (2..10): fewer values need fewer guesses per position
     * @param heldOutFraction the share of secrets held out of training (0 &lt; f &lt; 1)
     */
    public GuessTask(int minLength, int maxLength, int digits, long seed, boolean heldOut, double heldOutFraction) {
        if (!(heldOutFraction > 0 && heldOutFraction < 1)) {
            throw new IllegalArgumentException("the held-out fraction must be in (0, 1), got " + heldOutFraction);
        }
        this.heldOutFraction = heldOutFraction;
        if (minLength < 1 || maxLength < minLength || maxLength > 18) {
            throw new IllegalArgumentException("guess task lengths must satisfy 1 <= min <= max <= 18, got "
                    + minLength + ".." + maxLength);
        }
        if (digits < 2 || digits > 10) {
            throw new IllegalArgumentException("guess task digits must be in 2..10, got " + digits);
        }
        this.digits = digits;
        this.minLength = minLength;
        this.maxLength = maxLength;
        this.seed = seed;
        this.heldOut = heldOut;
        if (!splitHasSecrets()) {
            throw new IllegalArgumentException("guess tasks of " + minLength + ".." + maxLength + " digits (0-"
                    + (digits - 1) + ") with seed " + seed + " have no " + (heldOut ? "held-out" : "training")
                    + " secret: allow longer strings");
        }
    }

    /** Whether this view's split has any secret (only a few short strings could all fall on one side). */
    private boolean splitHasSecrets() {
        for (int length = minLength; length <= maxLength && Math.pow(digits, length) <= 1e5; length++) {
            for (int s = 0; s < Math.pow(digits, length); s++) {
                StringBuilder secret = new StringBuilder();
                for (int i = 0, rest = s; i < length; i++, rest /= digits) {
                    secret.append((char) ('0' + rest % digits));
                }
                if (isHeldOut(secret.toString()) == heldOut) {
                    return true;
                }
            }
        }
        return Math.pow(digits, maxLength) > 1e5; // so many strings: both splits are certainly populated
    }

    /** The held-out view of the same tasks (same seed, the complementary split). */
    public GuessTask heldOut() {
        return new GuessTask(minLength, maxLength, digits, seed, true, heldOutFraction);
    }

    /** Whether a secret belongs to the held-out split of this seed. */
    public boolean isHeldOut(String secret) {
        return SampleRng.uniform(seed, HELD_OUT_SALT, Long.parseLong(secret), secret.length(), 0)
                < heldOutFraction;
    }

    /** What the policy first sees for a secret of this length. */
    public static String prompt(int length) {
        return "?".repeat(length) + ":";
    }

    @Override
    public Prompt at(long n) {
        int lengths = maxLength - minLength + 1;
        for (long attempt = 0; ; attempt++) {
            int length = minLength + (int) (SampleRng.uniform(seed, n, attempt, heldOut ? 1 : 0, -1) * lengths);
            StringBuilder secret = new StringBuilder(length);
            for (int i = 0; i < length; i++) {
                secret.append((char) ('0' + (int) (SampleRng.uniform(seed, n, attempt, heldOut ? 1 : 0, i) * digits)));
            }
            if (isHeldOut(secret.toString()) == heldOut) {
                return Prompt.text("agent:guess:" + (heldOut ? "heldout:" : "") + n, prompt(length),
                        secret.toString());
            }
        }
    }

    @Override
    public boolean exhausted(long n) {
        return false;
    }

    @Override
    public String describe() {
        return "built-in agent task 'guess' (" + minLength + "-" + maxLength + " hidden digits of 0-" + (digits - 1)
                + (heldOut ? ", held-out split)" : ")");
    }
}
