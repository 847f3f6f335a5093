package dev.groupflow.metrics;

import dev.groupflow.verify.Outcome;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Live figures the stages update and the learner reports each step: verifier latencies (a window of the most
 * recent ones, for percentiles), outcome and drop counters, and what is in flight where. Thread-safe.
 */
public final class PipelineGauges {
    private final double[] latencies = new double[4096];
    private int latencyCount;
    private int latencyNext;
    public final AtomicLong promptsAdmitted = new AtomicLong();
    public final AtomicLong promptsActive = new AtomicLong();
    public final AtomicLong samplesGenerated = new AtomicLong();
    public final AtomicLong tokensGenerated = new AtomicLong();
    /** Agent runs: policy turns sampled, and of their contexts the tokens taken from the KV cache or computed. */
    public final AtomicLong turnsSampled = new AtomicLong();
    public final AtomicLong turnsDiverged = new AtomicLong();
    public final AtomicLong turnTokensReused = new AtomicLong();
    public final AtomicLong turnTokensComputed = new AtomicLong();
    public final AtomicLong samplesInVerifier = new AtomicLong();
    public final AtomicLong verifierScored = new AtomicLong();
    public final AtomicLong verifierFailed = new AtomicLong();
    public final AtomicLong verifierTimedOut = new AtomicLong();
    public final AtomicLong groupsFiltered = new AtomicLong();
    public final AtomicLong groupsStale = new AtomicLong();
    public final AtomicLong promptsSkipped = new AtomicLong();
    public final AtomicLong groupsBuffered = new AtomicLong();
    public final AtomicLong stageRestarts = new AtomicLong();
    public final AtomicLong checkpointFailures = new AtomicLong();
    // terminal outcomes of samples (each generated sample ends in exactly one, or is still in flight)
    public final AtomicLong samplesTrainedScored = new AtomicLong();
    public final AtomicLong samplesTrainedFailed = new AtomicLong();
    public final AtomicLong samplesDroppedStale = new AtomicLong();
    public final AtomicLong samplesFiltered = new AtomicLong();
    public final AtomicLong samplesDuplicate = new AtomicLong();
    /** A checkpoint asked for from outside ({@link RunControl#checkpointNow}) and not yet written. */
    public final AtomicBoolean checkpointPending = new AtomicBoolean();

    /** Counts a verifier outcome and its latency. */
    public void record(Outcome o) {
        recordLatency(o.latencyMillis());
        (switch (o.status()) {
            case SCORED -> verifierScored;
            case FAILED -> verifierFailed;
            case TIMED_OUT -> verifierTimedOut;
        }).incrementAndGet();
    }

    public synchronized void recordLatency(double millis) {
        latencies[latencyNext] = millis;
        latencyNext = (latencyNext + 1) % latencies.length;
        latencyCount = Math.min(latencyCount + 1, latencies.length);
    }

    /** The q-quantile (0..1) of recent verifier latencies in ms; NaN before the first call. */
    public synchronized double latencyQuantile(double q) {
        if (latencyCount == 0) {
            return Double.NaN;
        }
        double[] recent = Arrays.copyOf(latencies, latencyCount);
        Arrays.sort(recent);
        int i = (int) Math.min(recent.length - 1, Math.max(0, Math.ceil(q * recent.length) - 1));
        return recent[i];
    }
}
