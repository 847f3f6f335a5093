package dev.groupflow.pipeline;

import dev.groupflow.data.DataPosition;
import dev.groupflow.grpo.Learner;
import dev.groupflow.grpo.TrainingSample;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One learner step on a batch of groups, the same in both pipeline modes: leave out groups staler than the bound,
 * order the batch by prompt key (so arrival order never changes the result), run the GRPO update, publish the new
 * weights, report. Single-threaded: it runs on the learner's thread.
 */
public final class TrainingCore {
    private final TrainingSetup setup;
    private final StepReporter reporter;
    private long step;

    public TrainingCore(TrainingSetup setup, StepReporter reporter) {
        this.setup = setup;
        this.reporter = reporter;
        this.step = setup.startStep;
    }

    /** Steps completed; also the version of the current weights. */
    public long step() {
        return step;
    }

    public boolean finished() {
        return step >= setup.config.train().steps();
    }

    /** Groups whose oldest sample lags the current version by more than max-staleness. */
    public List<Group> stale(List<Group> groups) {
        long bound = setup.config.pipeline().maxStaleness();
        List<Group> out = new ArrayList<>();
        for (Group g : groups) {
            if (step - g.policyVersion() > bound) {
                out.add(g);
            }
        }
        return out;
    }

    /** Trains on the batch (not stale), publishes version step + 1, writes the step's metrics. */
    public Learner.StepResult train(List<Group> batch) {
        List<Group> ordered = new ArrayList<>(batch);
        ordered.sort(Comparator.comparingLong(Group::promptKey));
        List<List<TrainingSample>> groups = new ArrayList<>(ordered.size());
        for (Group g : ordered) {
            groups.add(g.toTrainingSamples());
        }
        long trainedAt = step;
        Learner.StepResult result = setup.learner.step(groups);
        step++;
        setup.weights.publish(setup.policy, step);
        reporter.report(step, step, ordered, trainedAt, result);
        return result;
    }

    /** Whether a periodic checkpoint is due after the step just done. */
    public boolean checkpointDue() {
        int every = setup.config.checkpoint().every();
        return every > 0 && step % every == 0;
    }

    public Path checkpoint(DataPosition data) {
        return setup.checkpoint(step, data, reporter.samplesTrained());
    }
}
