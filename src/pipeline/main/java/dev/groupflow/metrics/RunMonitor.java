package dev.groupflow.metrics;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What the dashboard knows of a running training: the metrics lines so far (the most recent {@code history} of
 * them), the latest completions, the live {@link PipelineGauges}, the run's phase and its {@link RunControl}.
 * The run's {@link StepEvents} feed it on the learner's thread ({@link #attach}); HTTP requests read it on others.
 * Thread-safe: the learner only ever takes a short lock and calls the listeners, which must not block.
 */
public final class RunMonitor {

    /** Told of each new metrics line and completions sample, on the learner's thread; must return quickly. */
    public interface Listener {
        void metrics(Map<String, Object> line);

        default void completions(Map<String, Object> latest) {
        }
    }

    /** Where the run is: set by whoever drives it ({@code train}). */
    public enum Phase { STARTING, TRAINING, EVALUATING, DONE, STOPPED, FAILED }

    private static final RunControl NO_CONTROL = new RunControl() {
        @Override
        public void pause() {
            throw new IllegalStateException("the run has not started yet");
        }

        @Override
        public void resume() {
            throw new IllegalStateException("the run has not started yet");
        }

        @Override
        public boolean checkpointNow() {
            throw new IllegalStateException("the run has not started yet");
        }

        @Override
        public void stopGracefully() {
            throw new IllegalStateException("the run has not started yet");
        }

        @Override
        public boolean paused() {
            return false;
        }
    };

    private final PipelineGauges gauges;
    private final long totalSteps;
    private final String mode;
    private final String runDir;
    private final int capacity;
    private final long startNanos = System.nanoTime();
    private final ArrayDeque<Map<String, Object>> history = new ArrayDeque<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private Map<String, Object> completions = Map.of("step", 0L, "completions", List.of());
    private volatile RunControl control = NO_CONTROL;
    private volatile Phase phase = Phase.STARTING;
    private volatile String message = "";

    /**
     * @param gauges the run's live counters
     * @param totalSteps the step the run ends at
     * @param mode "streaming" or "lockstep"
     * @param runDir the run directory, shown on the page
     * @param history how many metrics lines to keep
     */
    public RunMonitor(PipelineGauges gauges, long totalSteps, String mode, String runDir, int history) {
        this.gauges = gauges;
        this.totalSteps = totalSteps;
        this.mode = mode;
        this.runDir = runDir;
        this.capacity = Math.max(1, history);
    }

    /** Listens to a run's metrics lines and completions. */
    public void attach(StepEvents steps) {
        steps.addListener(this::onMetrics);
        steps.addCompletionsListener(this::onCompletions);
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    /** The run's controls (the buttons act on it); the phase becomes {@link Phase#TRAINING}. */
    public void control(RunControl c) {
        control = c;
        phase = Phase.TRAINING;
    }

    public RunControl control() {
        return control;
    }

    public void phase(Phase p, String why) {
        phase = p;
        message = why == null ? "" : why;
    }

    public Phase phase() {
        return phase;
    }

    public PipelineGauges gauges() {
        return gauges;
    }

    public long totalSteps() {
        return totalSteps;
    }

    void onMetrics(Map<String, Object> line) {
        synchronized (this) {
            history.addLast(line);
            if (history.size() > capacity) {
                history.removeFirst();
            }
        }
        for (Listener l : listeners) {
            l.metrics(line);
        }
    }

    void onCompletions(List<Map<String, Object>> records) {
        Object step = records.isEmpty() ? 0L : records.get(0).get("step");
        Map<String, Object> latest = Map.of("step", step, "completions", records);
        synchronized (this) {
            completions = latest;
        }
        for (Listener l : listeners) {
            l.completions(latest);
        }
    }

    /** The last {@code n} metrics lines kept, oldest first. */
    public synchronized List<Map<String, Object>> metrics(int n) {
        List<Map<String, Object>> all = new ArrayList<>(history);
        return all.subList(Math.max(0, all.size() - Math.max(0, n)), all.size());
    }

    /** The most recent metrics line, or an empty map before the first step. */
    public synchronized Map<String, Object> latest() {
        return history.isEmpty() ? Map.of() : history.getLast();
    }

    /** {@code {"step": N, "completions": [records of completions.jsonl]}} of the latest sample. */
    public synchronized Map<String, Object> completions() {
        return completions;
    }

    /** A snapshot of the run and of each stage, as the page and {@code /api/status} show it. */
    public Map<String, Object> status() {
        Map<String, Object> last = latest();
        boolean paused = control.paused();
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("phase", phase.name().toLowerCase(Locale.ROOT));
        run.put("state", phase == Phase.TRAINING && paused ? "paused" : run.get("phase"));
        run.put("message", message);
        run.put("paused", paused);
        run.put("step", last.getOrDefault("step", 0L));
        run.put("total_steps", totalSteps);
        run.put("mode", mode);
        run.put("run_dir", runDir);
        run.put("uptime_seconds", (System.nanoTime() - startNanos) / 1e9);
        run.put("samples_per_second", samplesPerSecond());

        Map<String, Object> supply = new LinkedHashMap<>();
        supply.put("admitted", gauges.promptsAdmitted.get());
        supply.put("in_flight", gauges.promptsActive.get());
        supply.put("skipped", gauges.promptsSkipped.get());
        supply.put("paused", paused);

        Map<String, Object> sampler = new LinkedHashMap<>();
        sampler.put("samples_generated", gauges.samplesGenerated.get());
        sampler.put("tokens_generated", gauges.tokensGenerated.get());
        sampler.put("restarts", gauges.stageRestarts.get());

        Map<String, Object> verifier = new LinkedHashMap<>();
        verifier.put("in_flight", gauges.samplesInVerifier.get());
        verifier.put("latency_p50_ms", gauges.latencyQuantile(0.5));
        verifier.put("latency_p95_ms", gauges.latencyQuantile(0.95));
        verifier.put("scored", gauges.verifierScored.get());
        verifier.put("failed", gauges.verifierFailed.get());
        verifier.put("timed_out", gauges.verifierTimedOut.get());

        Map<String, Object> learner = new LinkedHashMap<>();
        learner.put("step", last.getOrDefault("step", 0L));
        learner.put("total_steps", totalSteps);
        learner.put("policy_version", last.getOrDefault("policy_version", 0L));
        learner.put("buffered_groups", gauges.groupsBuffered.get());
        learner.put("last_step_seconds", last.getOrDefault("step_seconds", Double.NaN));
        learner.put("samples_trained", last.getOrDefault("samples_trained_total", 0L));
        learner.put("dropped_stale_groups", gauges.groupsStale.get());
        learner.put("filtered_groups", gauges.groupsFiltered.get());

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("run", run);
        out.put("supply", supply);
        out.put("sampler", sampler);
        out.put("verifier", verifier);
        out.put("learner", learner);
        return out;
    }

    /** Samples trained per second of wall time over the last (up to) 20 steps; 0 before two steps. */
    private synchronized double samplesPerSecond() {
        if (history.size() < 2) {
            return 0;
        }
        Map<String, Object> newest = history.getLast();
        Map<String, Object> oldest = null;
        var it = history.descendingIterator();
        for (int i = 0; i < 20 && it.hasNext(); i++) {
            oldest = it.next();
        }
        double dt = num(newest.get("wall_seconds")) - num(oldest.get("wall_seconds"));
        double ds = num(newest.get("samples_trained_total")) - num(oldest.get("samples_trained_total"));
        return dt > 0 ? ds / dt : 0;
    }

    static double num(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
