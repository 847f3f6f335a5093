package dev.groupflow.pipeline;

import dev.groupflow.CborSerializable;
import dev.groupflow.verify.VerifyRequest;
import java.util.List;
import java.util.Map;

/**
 * A prompt admitted into the pipeline, ready for sampling.
 *
 * @param key the prompt's position in the data stream: unique, and enough to re-derive the prompt on resume
 * @param ordinal its admission ordinal: prompts are numbered 0, 1, ... in the order they were admitted (skipped
 *     ones get none), which fixes its batch in deterministic mode
 * @param id the row's id in its source
 * @param text the prompt as the verifier sees it
 * @param tokens the prompt tokens as the policy sees them (chat template applied when configured)
 * @param answer the reference answer, or null
 * @param metadata the row's metadata
 * @param guidance the row's reference trace in policy tokens (G²RPO-A: a guided completion starts with its first ℓ),
 *     or null when it has none
 * @param messages a chat row's conversation (what a verifier with its own chat template renders), or null
 */
public record PromptWork(long key, long ordinal, String id, String text, int[] tokens, String answer,
                         Map<String, Object> metadata, int[] guidance, List<Map<String, String>> messages)
        implements CborSerializable {

    /** A text prompt without a reference trace. */
    public PromptWork(long key, long ordinal, String id, String text, int[] tokens, String answer,
                      Map<String, Object> metadata) {
        this(key, ordinal, id, text, tokens, answer, metadata, null, null);
    }

    /** What the verifier scores for a completion of this prompt: the prompt as it sees it, and its conversation. */
    public VerifyRequest verifyRequest(String completion, int completionTokens) {
        return new VerifyRequest(text, completion, answer, metadata, completionTokens, messages);
    }
}
