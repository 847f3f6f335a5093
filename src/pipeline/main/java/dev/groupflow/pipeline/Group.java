package dev.groupflow.pipeline;

import dev.groupflow.CborSerializable;
import dev.groupflow.grpo.Advantages;
import dev.groupflow.grpo.TrainingSample;
import dev.groupflow.verify.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The G scored completions of one prompt, ordered by sample index.
 *
 * @param promptKey the prompt's key
 * @param members exactly G scored rollouts
 */
public record Group(long promptKey, List<ScoredRollout> members) implements CborSerializable {

    /** The prompt's admission ordinal. */
    public long ordinal() {
        return members.get(0).rollout().prompt().ordinal();
    }

    /** The oldest policy version among the members (staleness is measured from it). */
    public long policyVersion() {
        return members.stream().mapToLong(m -> m.rollout().policyVersion()).min().orElse(0);
    }

    /** Each member's reward, null where it was not scored. */
    public Double[] rewards() {
        return members.stream().map(m -> m.outcome() instanceof Outcome.Scored s ? s.reward() : null)
                .toArray(Double[]::new);
    }

    /** Whether the group has no learning signal ({@link Advantages#zeroVariance}, the learner's own rule). */
    public boolean zeroVariance() {
        return Advantages.zeroVariance(rewards());
    }

    /** The learner's view of the group. */
    public List<TrainingSample> toTrainingSamples() {
        List<TrainingSample> out = new ArrayList<>(members.size());
        for (ScoredRollout m : members) {
            Rollout r = m.rollout();
            Outcome.Scored scored = m.outcome() instanceof Outcome.Scored s ? s : null;
            out.add(new TrainingSample(promptKey, r.sampleIndex(), r.prompt().tokens(), r.tokens(), r.logprobs(),
                    scored == null ? null : scored.reward(), scored == null ? Map.of() : scored.components(),
                    r.truncated(), r.policyVersion()));
        }
        return out;
    }
}
