package dev.groupflow.pipeline;

import dev.groupflow.CborSerializable;
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
 */
public record PromptWork(long key, long ordinal, String id, String text, int[] tokens, String answer, Map<String, Object> metadata)
        implements CborSerializable {
}
