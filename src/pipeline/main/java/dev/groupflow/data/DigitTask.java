package dev.groupflow.data;

import java.util.Arrays;
import java.util.Locale;

/**
 * The built-in verifiable task: a prompt is a random digit string followed by {@code >}, the answer is the string
 * copied, reversed or sorted. The reward gives partial credit: the fraction of positions where completion and
 * answer agree, over the longer of the two (so a completion of the wrong length costs).
 *
 * <p>Held-out split: a string is held out when a hash of it (and the seed) is 0 mod 10. Training prompts are
 * drawn from the other 90% only, so the evaluation never scores strings the policy trained on.
 */
public final class DigitTask implements PromptSource {
    /** Characters of the task's prompts and answers (the built-in tokenizer's alphabet). */
    public static final String ALPHABET = "0123456789>";

    public enum Kind { COPY, REVERSE, SORT }

    private final Kind kind;
    private final int minLength;
    private final int maxLength;
    private final long seed;
    private final boolean heldOut;

    public DigitTask(String kind, int minLength, int maxLength, long seed, boolean heldOut) {
        this.kind = Kind.valueOf(kind.toUpperCase(Locale.ROOT));
        this.minLength = minLength;
        this.maxLength = maxLength;
        this.seed = seed;
        this.heldOut = heldOut;
    }

    /** The held-out view of the same task (same seed, the complementary split). */
    public DigitTask heldOut() {
        return new DigitTask(kind.name(), minLength, maxLength, seed, true);
    }

    public String name() {
        return kind.name().toLowerCase(Locale.ROOT);
    }

    public String answer(String digits) {
        return switch (kind) {
            case COPY -> digits;
            case REVERSE -> new StringBuilder(digits).reverse().toString();
            case SORT -> {
                char[] c = digits.toCharArray();
                Arrays.sort(c);
                yield new String(c);
            }
        };
    }

    /** Fraction of positions right, over the longer of answer and completion; 0 for an empty completion. */
    public static double reward(String answer, String completion) {
        int n = Math.max(answer.length(), completion.length());
        if (n == 0) {
            return 0;
        }
        int right = 0;
        for (int i = 0; i < Math.min(answer.length(), completion.length()); i++) {
            if (answer.charAt(i) == completion.charAt(i)) {
                right++;
            }
        }
        return (double) right / n;
    }

    boolean isHeldOut(String digits) {
        long h = mix(seed ^ 0x5DEECE66DL);
        for (int i = 0; i < digits.length(); i++) {
            h = mix(h + digits.charAt(i));
        }
        return Math.floorMod(h, 10) == 0;
    }

    @Override
    public Prompt at(long n) {
        // draw from (seed, n) until the string falls in this view's split
        for (long attempt = 0; ; attempt++) {
            long h = mix(mix(seed + 0x9E3779B97F4A7C15L * (heldOut ? 2 : 1)) + n * 1_000_003L + attempt);
            int length = minLength + (int) Math.floorMod(h, (long) (maxLength - minLength + 1));
            StringBuilder sb = new StringBuilder(length);
            for (int i = 0; i < length; i++) {
                h = mix(h + i);
                sb.append((char) ('0' + Math.floorMod(h, 10L)));
            }
            String digits = sb.toString();
            if (isHeldOut(digits) == heldOut) {
                return Prompt.text("task:" + name() + (heldOut ? ":heldout:" : ":") + n, digits + ">", answer(digits));
            }
        }
    }

    @Override
    public boolean exhausted(long n) {
        return false;
    }

    @Override
    public String describe() {
        return "built-in task '" + name() + "' (" + minLength + "-" + maxLength + " digits"
                + (heldOut ? ", held-out split)" : ")");
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
