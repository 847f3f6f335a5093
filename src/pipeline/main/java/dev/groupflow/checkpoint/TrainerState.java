package dev.groupflow.checkpoint;

import dev.groupflow.data.DataPosition;

/**
 * Everything about a run's progress a checkpoint holds besides weights and optimizer moments.
 *
 * @param step learner steps completed
 * @param policyVersion the version of the weights in the checkpoint (published to samplers)
 * @param updates optimizer updates applied
 * @param skippedUpdates updates skipped for non-finite values
 * @param consecutiveNonFinite the current run of skipped updates
 * @param optimizerStep AdamW's step counter
 * @param data the prompt stream position and the prompts in flight
 * @param samplesTrained samples trained so far
 */
public record TrainerState(long step, long policyVersion, long updates, long skippedUpdates, int consecutiveNonFinite,
                           long optimizerStep, DataPosition data, long samplesTrained) {
}
