package dev.groupflow.verify;

import java.util.Map;

/**
 * What a verifier scores.
 *
 * @param prompt the prompt text (for chat prompts: the last user message)
 * @param completion the completion text (special tokens removed, cut before a stop string)
 * @param answer the prompt row's reference answer, or null
 * @param metadata the prompt row's metadata (never null)
 */
public record VerifyRequest(String prompt, String completion, String answer, Map<String, Object> metadata) {
    public VerifyRequest {
        metadata = metadata == null ? Map.of() : metadata;
    }
}
