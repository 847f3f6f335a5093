package dev.groupflow.pipeline;

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

    /** Whether all scored rewards are equal (or fewer than two are scored): a group without learning signal. */
    public boolean zeroVariance() {
        Double first = null;
        int scored = 0;
        for (ScoredRollout m : members) {
            if (m.outcome() instanceof Outcome.Scored s) {
                scored++;
                if (first == null) {
                    first = s.reward();
                } else if (!first.equals(s.reward())) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The learner's view of the group. */
    public List<TrainingSample> toTrainingSamples() {
        List<TrainingSample> out = new ArrayList<>(members.size());
        for (ScoredRollout m : members) {
            Rollout r = m.rollout();
            out.add(new TrainingSample(promptKey, r.sampleIndex(), r.prompt().tokens(), r.tokens(), r.logprobs(),
                    m.outcome() instanceof Outcome.Scored s ? s.reward() : null,
                    m.outcome() instanceof Outcome.Scored s ? s.components() : Map.of(), r.truncated(),
                    r.policyVersion()));
        }
        return out;
    }
}
