package dev.groupflow.verify;

import java.util.Map;

/**
 * What a verifier scores.
 *
 * @param prompt the prompt text (for chat prompts: the last user message)
 * @param completion the completion text (special tokens removed, cut before a stop string)
 * @param answer the prompt row's reference answer, or null
 * @param metadata the prompt row's metadata (never null)
 * @param completionTokens the completion's length in tokens, or {@link #UNKNOWN_TOKENS} when the caller did not
 *     count them (verifiers that need it, such as {@code length} with {@code unit = tokens}, then fail)
 */
public record VerifyRequest(String prompt, String completion, String answer, Map<String, Object> metadata,
                            int completionTokens) {
    /** The token count of a request built without one. */
    public static final int UNKNOWN_TOKENS = -1;

    public VerifyRequest {
        metadata = metadata == null ? Map.of() : metadata;
        if (completionTokens < 0) {
            completionTokens = UNKNOWN_TOKENS;
        }
    }

    /** A request without a token count. */
    public VerifyRequest(String prompt, String completion, String answer, Map<String, Object> metadata) {
        this(prompt, completion, answer, metadata, UNKNOWN_TOKENS);
    }

    /** This request with the completion's token count. */
    public VerifyRequest withCompletionTokens(int tokens) {
        return new VerifyRequest(prompt, completion, answer, metadata, tokens);
    }

    /** Whether the caller counted the completion's tokens. */
    public boolean hasCompletionTokens() {
        return completionTokens != UNKNOWN_TOKENS;
    }
}
