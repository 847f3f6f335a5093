package dev.groupflow.pipeline;

import dev.groupflow.agent.EpisodeAdvantages;
import dev.groupflow.checkpoint.RunCheckpoints;
import dev.groupflow.data.DataPosition;
import dev.groupflow.grpo.GuidanceSchedule;
import dev.groupflow.grpo.Learner;
import dev.groupflow.grpo.TrainingSample;
import dev.groupflow.metrics.PipelineGauges;
import dev.groupflow.metrics.RunFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One learner step on a batch of groups, the same in both pipeline modes: leave out groups staler than the bound,
 * order the batch by prompt key (so arrival order never changes the result), run the GRPO update, publish the new
 * weights, report. Single-threaded: it runs on the learner's thread.
 */
public final class TrainingCore {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingCore.class);


    /**
     * @param steps the step the run ends at
     * @param batchGroups B, groups per step
     * @param maxStaleness S: groups sampled more than S versions ago are dropped
     * @param deterministic batch membership by admission ordinal, whatever the timing
     * @param checkpointEvery a checkpoint every this many steps (0: only at the end)
     * @param maxConsecutiveCheckpointFailures checkpoint writes that may fail in a row before the run stops
     * @param episodes how groups of episodes get their per-turn advantages (GRPO or GiGPO); null in runs without
     *     episodes
     */
    public record Settings(int steps, int batchGroups, int maxStaleness, boolean deterministic, int checkpointEvery,
                           int maxConsecutiveCheckpointFailures, EpisodeAdvantages.Settings episodes) {

        /** Settings of a run without episodes. */
        public Settings(int steps, int batchGroups, int maxStaleness, boolean deterministic, int checkpointEvery,
                        int maxConsecutiveCheckpointFailures) {
            this(steps, batchGroups, maxStaleness, deterministic, checkpointEvery, maxConsecutiveCheckpointFailures,
                    null);
        }
    }

    private final Settings settings;
    private final Learner learner;
    private final WeightStore weights;
    private final RunFiles files;
    private final RunCheckpoints checkpoints;
    private final StepReporter reporter;
    private final PipelineGauges gauges;
    private final GuidanceSchedule guidance;
    private long step;
    private int failuresInARow;  // checkpoint writes that failed since the last one that succeeded
    private long lastSaved;      // step of the newest checkpoint on disk, -1 when there is none

    /**
     * @param weights where each step's weights are published
     * @param files where each step's ledger line goes
     * @param gauges where failed checkpoints are counted
     * @param startStep the step the run starts from (0, or a checkpoint's)
     * @param guidance G²RPO-A's guidance length, advanced after each step (null: no guided completions)
     */
    public TrainingCore(Settings settings, Learner learner, WeightStore weights, RunFiles files,
                        RunCheckpoints checkpoints, StepReporter reporter, PipelineGauges gauges, long startStep,
                        GuidanceSchedule guidance) {
        this.settings = settings;
        this.learner = learner;
        this.weights = weights;
        this.files = files;
        this.checkpoints = checkpoints;
        this.reporter = reporter;
        this.gauges = gauges;
        this.guidance = guidance;
        this.step = startStep;
        this.lastSaved = startStep > 0 ? startStep : -1; // a resumed run starts from a checkpoint
    }

    public Settings settings() {
        return settings;
    }

    /** Steps completed; also the version of the current weights. */
    public long step() {
        return step;
    }

    public boolean finished() {
        return step >= settings.steps();
    }

    /** Groups whose oldest sample lags the current version by more than max-staleness. */
    public List<Group> stale(List<Group> groups) {
        List<Group> out = new ArrayList<>();
        for (Group g : groups) {
            if (step - g.policyVersion() > settings.maxStaleness()) {
                out.add(g);
            }
        }
        return out;
    }

    /** Trains on the batch (not stale), publishes version step + 1, writes the step's metrics. */
    public Learner.StepResult train(List<Group> batch) {
        List<Group> ordered = new ArrayList<>(batch);
        ordered.sort(Comparator.comparingLong(Group::promptKey));
        long trainedAt = step;
        Learner.StepResult result;
        try {
            result = ordered.get(0).ofEpisodes() ? trainEpisodes(ordered)
                    : learner.step(ordered.stream().map(Group::toTrainingSamples).toList());
        } catch (RuntimeException e) {
            weights.releaseUpdates(); // samplers may copy again (the weights keep their published version)
            throw e;
        }
        if (guidance != null) {
            // ℓ of the next version is set before its weights are published: samplers always find it
            guidance.afterStep(step + 1, result.metrics().getOrDefault("reward_mean", Double.NaN));
            Map<String, Double> metrics = new LinkedHashMap<>(result.metrics());
            metrics.put("guidance_length", (double) guidance.current());
            result = new Learner.StepResult(result.updated(), metrics, result.advantages());
        }
        step++;
        weights.publish(learner.policy(), step);
        reporter.report(step, step, ordered, trainedAt, result);
        files.ledger(Map.of("step", step, "trained", ordered.stream().map(Group::promptKey).toList()));
        return result;
    }

    /**
     * A step on groups of episodes: one row per policy turn with its turn's advantage, the episodes' metrics added
     * (success rate, turns per episode, outcomes, environment failures), and reward_mean / reward_std taken over
     * episodes (the learner's are over rows, that is over turns). The result's advantages are the rows': every
     * turn's, group by group, episode by episode.
     */
    private Learner.StepResult trainEpisodes(List<Group> ordered) {
        List<List<TrainingSample>> groups = new ArrayList<>(ordered.size());
        double[][] advantages = new double[ordered.size()][];
        for (int i = 0; i < ordered.size(); i++) {
            EpisodeGroups.Rows rows = EpisodeGroups.rows(ordered.get(i), settings.episodes());
            groups.add(rows.samples());
            advantages[i] = rows.advantages();
        }
        Learner.StepResult r = learner.step(groups, advantages);
        Map<String, Double> m = new LinkedHashMap<>(r.metrics());
        double[] returns = ordered.stream().flatMap(g -> Arrays.stream(g.rewards())).filter(x -> x != null)
                .mapToDouble(Double::doubleValue).toArray();
        m.put("reward_mean", Arrays.stream(returns).average().orElse(Double.NaN));
        m.put("reward_std", std(returns));
        m.put("turn_rows", m.get("samples"));
        m.putAll(EpisodeGroups.metrics(ordered));
        return new Learner.StepResult(r.updated(), m, r.advantages());
    }

    /** The unbiased standard deviation (0 for fewer than two values). */
    private static double std(double[] x) {
        if (x.length < 2) {
            return 0;
        }
        double mean = Arrays.stream(x).average().orElse(0);
        return Math.sqrt(Arrays.stream(x).map(v -> (v - mean) * (v - mean)).sum() / (x.length - 1));
    }

    /**
     * Records groups dropped as stale, under the step that would have trained them (the next one): a drop after
     * the checkpoint of step N is then cut from the ledger when a run resumes from N, which admits those prompts
     * again (they were pending in the checkpoint), so no prompt appears in the ledger twice.
     */
    public void recordStale(List<Group> groups) {
        files.ledger(Map.of("step", step + 1, "stale", groups.stream().map(Group::promptKey).toList()));
    }

    /**
     * The batch to train next, once it is complete. Streaming mode takes the B oldest buffered
     * groups; deterministic mode exactly the groups of admission ordinals step·B … step·B + B − 1 (or, once the data
     * has run out, whatever is left), so timing never changes batch membership.
     */
    public Optional<List<Group>> nextBatch(List<Group> buffer, boolean draining) {
        int b = settings.batchGroups();
        buffer.sort(Comparator.comparingLong(Group::ordinal));
        if (settings.deterministic()) {
            long first = step * b;
            List<Group> batch = new ArrayList<>();
            for (Group g : buffer) {
                if (g.ordinal() >= first && g.ordinal() < first + b) {
                    batch.add(g);
                }
            }
            return batch.size() == b || (draining && !batch.isEmpty()) ? Optional.of(batch) : Optional.empty();
        }
        if (buffer.size() >= b || (draining && !buffer.isEmpty())) {
            return Optional.of(new ArrayList<>(buffer.subList(0, Math.min(b, buffer.size()))));
        }
        return Optional.empty();
    }

    /** Whether a periodic checkpoint is due after the step just done. */
    public boolean checkpointDue() {
        int every = settings.checkpointEvery();
        return every > 0 && step % every == 0;
    }

    /**
     * Writes a periodic or requested checkpoint. A failed write is logged and counted, and training goes on (the
     * next checkpoint tries again); a write that succeeds resets the count. Returns the checkpoint, or empty when
     * it failed.
     *
     * @throws CheckpointsFailedException when this was the {@code checkpoint.max-consecutive-failures}-th failure in
     *     a row: the run must stop rather than train on with nothing saved
     */
    public Optional<Path> checkpoint(DataPosition data) {
        try {
            return Optional.of(write(data));
        } catch (RuntimeException e) {
            int limit = settings.maxConsecutiveCheckpointFailures();
            LOG.error("checkpoint failed ({} of checkpoint.max-consecutive-failures = {} in a row): {}",
                    failuresInARow, limit, e.getMessage());
            if (failuresInARow >= limit) {
                throw new CheckpointsFailedException(failuresInARow + " checkpoints in a row failed "
                        + "(checkpoint.max-consecutive-failures = " + limit + "), the last at step " + step + ": "
                        + e.getMessage() + "; " + stopped());
            }
            return Optional.empty();
        }
    }

    /**
     * Writes the checkpoint at the end of the run (or of a graceful stop).
     *
     * @throws CheckpointsFailedException when it fails
     */
    public Path finalCheckpoint(DataPosition data) {
        try {
            return write(data);
        } catch (RuntimeException e) {
            LOG.error("checkpoint failed: {}", e.getMessage());
            throw new CheckpointsFailedException("final checkpoint failed: " + e.getMessage() + "; " + stopped());
        }
    }

    private Path write(DataPosition data) {
        try {
            Path dir = checkpoints.write(step, data, reporter.samplesTrained());
            failuresInARow = 0;
            lastSaved = step;
            LOG.info("checkpoint written: {}", dir);
            return dir;
        } catch (RuntimeException e) {
            failuresInARow++;
            gauges.checkpointFailures.incrementAndGet();
            throw e;
        }
    }

    /** What stopping now leaves: where a resume would start. */
    private String stopped() {
        return lastSaved < 0 ? "stopped at step " + step + " with no checkpoint written: make room (or fix the run "
                + "directory) and start again"
                : "stopped at step " + step + "; the newest checkpoint is of step " + lastSaved + ": make room (or fix "
                + "the run directory), then continue with --resume";
    }
}
