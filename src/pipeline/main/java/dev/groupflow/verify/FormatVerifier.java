package dev.groupflow.verify;

import dev.groupflow.config.SectionReader;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reward 1 when the completion has the configured shape, else 0. Two kinds: {@code regex} (the pattern matches
 * the whole completion, or is found in it) and {@code tags} (each configured tag appears exactly once as
 * {@code <t>...</t>}, in the configured order, with nothing but whitespace outside them: the
 * {@code <think>...</think><answer>...</answer>} shape). A completion longer than {@code maxChars} scores 0 unread.
 * A pattern still matching at the time limit (catastrophic backtracking) is a verifier failure that names the
 * pattern: the operator's pattern, not the completion, needs fixing. The work runs on {@code executor}.
 */
public final class FormatVerifier implements Verifier {
    private final Settings settings;
    private final Pattern pattern;
    private final Executor executor;

    /**
     * @param kind "regex" or "tags"
     * @param regex the pattern (kind regex)
     * @param fullMatch whether the pattern must match the whole completion (else: found anywhere)
     * @param tags tag names in order (kind tags)
     * @param maxChars longer completions score 0
     * @param timeLimit time allowed for one regex match
     */
    public record Settings(String kind, String regex, boolean fullMatch, List<String> tags, int maxChars,
                           Duration timeLimit) {
        public Settings {
            tags = List.copyOf(tags);
        }

        public static Settings read(SectionReader r) {
            Settings s = new Settings(r.choice("kind", Set.of("regex", "tags")), r.string("regex"),
                    r.choice("match", Set.of("full", "find")).equals("full"), r.strings("tags"),
                    r.atLeast("max-chars", 1), r.positiveDuration("time-limit"));
            if (s.kind().equals("regex")) {
                try {
                    Pattern.compile(s.regex());
                } catch (PatternSyntaxException e) {
                    r.problem("regex", "not a valid Java regular expression: " + e.getDescription() + " near index "
                            + e.getIndex());
                    // reported; a pattern that compiles keeps the (discarded) verifier constructible
                    s = new Settings(s.kind(), "(?!)", s.fullMatch(), s.tags(), s.maxChars(), s.timeLimit());
                }
            }
            if (s.kind().equals("tags")) {
                if (s.tags().isEmpty()) {
                    r.problem("tags", "must name at least one tag when kind = tags");
                }
                for (String t : s.tags()) {
                    if (!t.matches("[A-Za-z][A-Za-z0-9_.:-]*")) {
                        r.problem("tags", "'" + t + "' is not a tag name (letters, digits, _ . : -)");
                    }
                }
                if (Set.copyOf(s.tags()).size() != s.tags().size()) {
                    r.problem("tags", "names a tag twice: " + s.tags());
                }
            }
            return s;
        }
    }

    public FormatVerifier(Settings settings, Executor executor) {
        this.settings = settings;
        this.pattern = settings.kind().equals("regex") ? Pattern.compile(settings.regex()) : null;
        this.executor = executor;
    }

    @Override
    public CompletionStage<Reward> score(VerifyRequest request) {
        return CompletableFuture.supplyAsync(() -> scoreNow(request.completion()), executor);
    }

    Reward scoreNow(String completion) {
        if (completion.length() > settings.maxChars()) {
            return new Reward(0, Map.of(), "the completion has " + completion.length() + " characters, more than "
                    + settings.maxChars());
        }
        return pattern != null ? regex(completion) : TagShape.check(completion, settings.tags());
    }

    private Reward regex(String completion) {
        Matcher m = pattern.matcher(new DeadlineText(completion, System.nanoTime() + settings.timeLimit().toNanos()));
        try {
            boolean ok = settings.fullMatch() ? m.matches() : m.find();
            return new Reward(ok ? 1 : 0, Map.of(), ok ? "matches" : "does not match");
        } catch (DeadlineText.Expired e) {
            throw VerifierFailure.permanent("verifier.format.regex " + pattern.pattern() + " ran past "
                    + settings.timeLimit().toMillis() + " ms on a " + completion.length() + "-character completion "
                    + "(catastrophic backtracking?): simplify the pattern or lower verifier.format.max-chars");
        }
    }
}
