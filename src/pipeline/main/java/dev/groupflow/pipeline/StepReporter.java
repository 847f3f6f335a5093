package dev.groupflow.pipeline;

import dev.groupflow.agent.Episode;
import dev.groupflow.grpo.Learner;
import dev.groupflow.metrics.PipelineGauges;
import dev.groupflow.metrics.ProgressLine;
import dev.groupflow.metrics.RunFiles;
import dev.groupflow.metrics.StepEvents;
import dev.groupflow.verify.Outcome;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Records a finished learner step: one line of {@code metrics.jsonl} (the learner's metrics plus the pipeline's:
 * policy version, staleness, verifier latency percentiles, in-flight counts, totals, wall time), one group of the
 * batch in {@code completions.jsonl} every few steps, and the progress: on a terminal one line updated in place
 * every step, otherwise a line every few steps ({@link ProgressLine}). Listeners see each line after it is written.
 */
public final class StepReporter implements StepEvents {
    private final RunFiles files;
    private final PipelineGauges gauges;
    private final int totalSteps;
    private final int progressEvery;
    private final int completionsEvery;
    private final ProgressLine progress;
    private final long startNanos = System.nanoTime();
    private long samplesTrained;
    private long tokensTrained;
    private Map<String, Object> last = Map.of();
    private final List<Consumer<Map<String, Object>>> listeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<List<Map<String, Object>>>> completionListeners = new CopyOnWriteArrayList<>();

    public StepReporter(RunFiles files, PipelineGauges gauges, int totalSteps, int progressEvery, int completionsEvery,
                        PrintStream progress, long samplesTrainedBefore) {
        this(files, gauges, totalSteps, progressEvery, completionsEvery, ProgressLine.plain(progress),
                samplesTrainedBefore);
    }

    /** As above, with the progress written to {@code progress} (in place or plain). */
    public StepReporter(RunFiles files, PipelineGauges gauges, int totalSteps, int progressEvery, int completionsEvery,
                        ProgressLine progress, long samplesTrainedBefore) {
        this.files = files;
        this.gauges = gauges;
        this.totalSteps = totalSteps;
        this.progressEvery = progressEvery;
        this.completionsEvery = completionsEvery;
        this.progress = progress;
        this.samplesTrained = samplesTrainedBefore;
    }

    /** Called with every step's metrics line, on the learner's thread, after it is written. */
    @Override
    public void addListener(Consumer<Map<String, Object>> listener) {
        listeners.add(listener);
    }

    /** Where progress goes; messages printed through it never garble an in-place progress line. */
    public ProgressLine progress() {
        return progress;
    }

    /**
     * Called with the completion records of one group (the lines written to {@code completions.jsonl}) every
     * {@code completionsEvery} steps, on the learner's thread, after they are written.
     */
    @Override
    public void addCompletionsListener(Consumer<List<Map<String, Object>>> listener) {
        completionListeners.add(listener);
    }

    public long samplesTrained() {
        return samplesTrained;
    }

    /** The most recent metrics line. */
    public synchronized Map<String, Object> last() {
        return last;
    }

    /**
     * Records the step, then calls the listeners (outside this reporter's lock, so a slow listener never blocks
     * {@link #last()}).
     *
     * @param step the step just finished (1-based)
     * @param version the policy version after it
     * @param batch the groups trained, in training order
     * @param learnerVersion the version the batch was trained at (staleness = learnerVersion − sample version)
     */
    public Map<String, Object> report(long step, long version, List<Group> batch, long learnerVersion,
                                      Learner.StepResult result) {
        Map<String, Object> line = record(step, version, batch, learnerVersion, result);
        for (var l : listeners) {
            l.accept(line);
        }
        return line;
    }

    private synchronized Map<String, Object> record(long step, long version, List<Group> batch, long learnerVersion,
                                                    Learner.StepResult result) {
        double stalenessSum = 0;
        long stalenessMax = 0;
        int samples = 0;
        for (Group g : batch) {
            for (ScoredRollout m : g.members()) {
                (m.outcome() instanceof Outcome.Scored ? gauges.samplesTrainedScored : gauges.samplesTrainedFailed).incrementAndGet();
                long s = learnerVersion - m.rollout().policyVersion();
                stalenessSum += s;
                stalenessMax = Math.max(stalenessMax, s);
                samples++;
                tokensTrained += m.rollout().tokens().length;
            }
        }
        samplesTrained += samples;
        double wall = (System.nanoTime() - startNanos) / 1e9;
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("step", step);
        line.put("policy_version", version);
        result.metrics().forEach(line::put);
        line.put("staleness_mean", samples == 0 ? 0 : stalenessSum / samples);
        line.put("staleness_max", stalenessMax);
        line.put("verifier_latency_p50_ms", gauges.latencyQuantile(0.5));
        line.put("verifier_latency_p95_ms", gauges.latencyQuantile(0.95));
        line.put("verifier_failed_total", gauges.verifierFailed.get());
        line.put("verifier_timed_out_total", gauges.verifierTimedOut.get());
        line.put("in_flight_prompts", gauges.promptsActive.get());
        line.put("in_flight_verifier", gauges.samplesInVerifier.get());
        line.put("buffered_groups", gauges.groupsBuffered.get());
        line.put("dropped_stale_total", gauges.groupsStale.get());
        line.put("filtered_groups_total", gauges.groupsFiltered.get());
        line.put("skipped_prompts_total", gauges.promptsSkipped.get());
        line.put("stage_restarts_total", gauges.stageRestarts.get());
        line.put("checkpoint_failures_total", gauges.checkpointFailures.get());
        line.put("samples_generated_total", gauges.samplesGenerated.get());
        line.put("samples_trained_scored_total", gauges.samplesTrainedScored.get());
        line.put("samples_trained_failed_total", gauges.samplesTrainedFailed.get());
        line.put("samples_dropped_stale_total", gauges.samplesDroppedStale.get());
        line.put("samples_filtered_total", gauges.samplesFiltered.get());
        line.put("samples_duplicate_total", gauges.samplesDuplicate.get());
        line.put("samples_trained_total", samplesTrained);
        line.put("tokens_generated_total", gauges.tokensGenerated.get());
        if (!batch.isEmpty() && batch.get(0).ofEpisodes()) { // how the turns' contexts used the KV cache
            line.put("turns_sampled_total", gauges.turnsSampled.get());
            line.put("turns_diverged_total", gauges.turnsDiverged.get());
            line.put("turn_tokens_reused_total", gauges.turnTokensReused.get());
            line.put("turn_tokens_computed_total", gauges.turnTokensComputed.get());
        }
        line.put("tokens_trained_total", tokensTrained);
        line.put("wall_seconds", wall);
        files.metrics(line);
        if (completionsEvery > 0 && step % completionsEvery == 0 && !batch.isEmpty()) {
            writeCompletions(step, batch.get(0), result.advantages());
        }
        if (progress.inPlace() || step % progressEvery == 0 || step == totalSteps) {
            printProgress(line, step, wall);
        }
        last = line;
        return line;
    }

    private void writeCompletions(long step, Group g, double[] advantages) {
        List<Map<String, Object>> records = new ArrayList<>(g.members().size());
        int turnRow = 0; // episodes: advantages are per turn row, episode by episode
        for (ScoredRollout m : g.members()) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("step", step);
            c.put("prompt_key", g.promptKey());
            c.put("prompt_id", m.rollout().prompt().id());
            c.put("prompt", m.rollout().prompt().text());
            c.put("sample", m.rollout().sampleIndex());
            c.put("completion", m.rollout().text());
            c.put("status", m.outcome().statusName());
            c.put("reward", m.outcome() instanceof Outcome.Scored s ? s.reward() : null);
            if (g.ofEpisodes()) {
                Episode e = g.episodes().get(records.size());
                c.put("outcome", e.outcome().label());
                c.put("turns", EpisodeRecords.turns(e, advantages, turnRow));
                turnRow += e.steps().size();
            } else {
                c.put("advantage", advantages.length > m.rollout().sampleIndex()
                        ? advantages[m.rollout().sampleIndex()] : null);
            }
            c.put("policy_version", m.rollout().policyVersion());
            c.put("truncated", m.rollout().truncated());
            files.completion(c);
            records.add(c);
        }
        for (var l : completionListeners) {
            l.accept(List.copyOf(records));
        }
    }

    private void printProgress(Map<String, Object> line, long step, double wall) {
        double perStep = wall / Math.max(1, step);
        double eta = perStep * Math.max(0, totalSteps - step);
        double samplesPerSecond = samplesTrained / Math.max(1e-9, wall);
        String kl = line.containsKey("kl") ? String.format("%.4f", num(line.get("kl"))) : "-";
        if (progress.inPlace()) {
            progress.update(String.format("step %d/%d  eta %s  reward %.3f  kl %s  %.0f samples/s  staleness %.2f  "
                            + "verifier p95 %.0f ms", step, totalSteps, duration(eta), num(line.get("reward_mean")), kl,
                    samplesPerSecond, num(line.get("staleness_mean")), num(line.get("verifier_latency_p95_ms"))),
                    step == totalSteps);
        } else {
            progress.update(String.format("step %d/%d  reward %.3f  loss %+.4f  kl %s  samples/s %.1f  staleness %.2f  "
                            + "verifier p95 %.0f ms  eta %s", step, totalSteps, num(line.get("reward_mean")),
                    num(line.get("loss")), kl, samplesPerSecond, num(line.get("staleness_mean")),
                    num(line.get("verifier_latency_p95_ms")), duration(eta)), step == totalSteps);
        }
    }

    private static double num(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, (s % 3600) / 60)
                : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
