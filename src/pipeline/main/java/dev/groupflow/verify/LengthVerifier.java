package dev.groupflow.verify;

import dev.groupflow.config.SectionReader;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * DAPO's soft overlong punishment, a reward of at most 0 meant to be added to another verifier's (see
 * {@link WeightedVerifier}). With maximum length L = {@code maxLength} and buffer C = {@code buffer}, a completion
 * of length n gets 0 when n &lt;= L - C, (L - C - n) / C inside the buffer (falling linearly from 0 to -1), and -1
 * beyond L. The length is counted in tokens (the request's {@link VerifyRequest#completionTokens()}; a request
 * without a count is a failure, not a guess) or in characters (Unicode code points) as configured.
 */
public final class LengthVerifier implements Verifier {
    private final Settings settings;

    /**
     * @param tokens count tokens (else characters)
     * @param maxLength L: lengths beyond it get -1
     * @param buffer C: the penalty grows over the last C units before L
     */
    public record Settings(boolean tokens, int maxLength, int buffer) {
        public static Settings read(SectionReader r) {
            Settings s = new Settings(r.choice("unit", Set.of("tokens", "chars")).equals("tokens"),
                    r.atLeast("max-length", 1), r.atLeast("buffer", 1));
            if (s.buffer() > s.maxLength()) {
                r.problem("buffer", "must be <= verifier.length.max-length (" + s.maxLength() + "), got " + s.buffer());
            }
            return s;
        }
    }

    public LengthVerifier(Settings settings) {
        this.settings = settings;
    }

    /** The penalty for a completion of {@code length} units. */
    static double penalty(long length, int maxLength, int buffer) {
        long soft = (long) maxLength - buffer;
        if (length <= soft) {
            return 0.0;
        }
        if (length <= maxLength) {
            return (soft - length) / (double) buffer;
        }
        return -1.0;
    }

    @Override
    public CompletionStage<Reward> score(VerifyRequest request) {
        long length;
        if (settings.tokens()) {
            if (!request.hasCompletionTokens()) {
                return CompletableFuture.failedFuture(VerifierFailure.permanent("verifier.length counts tokens but "
                        + "the request has no token count (set verifier.length.unit = chars to count characters)"));
            }
            length = request.completionTokens();
        } else {
            length = request.completion().codePointCount(0, request.completion().length());
        }
        double p = penalty(length, settings.maxLength(), settings.buffer());
        return CompletableFuture.completedFuture(new Reward(p, Map.of(), length + (settings.tokens() ? " tokens" :
                " characters") + ", soft limit " + (settings.maxLength() - settings.buffer()) + ", hard limit "
                + settings.maxLength()));
    }
}
