package dev.groupflow.verify;

import dev.groupflow.config.SectionReader;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

/**
 * Reward 1 when the completion equals the row's answer after normalisation, else 0. Both sides are trimmed and
 * runs of whitespace collapsed to one space; by default they are also lower-cased (unless
 * {@code caseSensitive}), and with {@code stripPunctuation} every Unicode punctuation character is removed first
 * ("Paris." equals "paris"). A row without an answer is a failure, not reward 0.
 */
public final class ExactMatchVerifier implements Verifier {
    private static final Pattern PUNCTUATION = Pattern.compile("\\p{P}");
    private final Settings settings;

    /**
     * @param caseSensitive compare letters' case too
     * @param stripPunctuation remove punctuation before comparing
     */
    public record Settings(boolean caseSensitive, boolean stripPunctuation) {
        /** Case-insensitive, punctuation kept: the verifier's original behaviour. */
        public static Settings defaults() {
            return new Settings(false, false);
        }

        public static Settings read(SectionReader r) {
            return new Settings(r.bool("case-sensitive"), r.bool("strip-punctuation"));
        }
    }

    public ExactMatchVerifier() {
        this(Settings.defaults());
    }

    public ExactMatchVerifier(Settings settings) {
        this.settings = settings;
    }

    /** The default normalisation: trimmed, whitespace runs collapsed, lower-cased. */
    static String normalise(String s) {
        return normalise(s, Settings.defaults());
    }

    static String normalise(String s, Settings settings) {
        String t = settings.stripPunctuation() ? PUNCTUATION.matcher(s).replaceAll("") : s;
        t = t.strip().replaceAll("\\s+", " ");
        return settings.caseSensitive() ? t : t.toLowerCase(Locale.ROOT);
    }

    @Override
    public CompletionStage<Reward> score(VerifyRequest request) {
        if (request.answer() == null) {
            return CompletableFuture.failedFuture(VerifierFailure.permanent("the prompt row has no 'answer'"));
        }
        boolean match = normalise(request.completion(), settings).equals(normalise(request.answer(), settings));
        return CompletableFuture.completedFuture(new Reward(match ? 1.0 : 0.0, Map.of(),
                match ? "matches the answer" : "differs from the answer"));
    }
}
