package dev.groupflow.grpo;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * G²RPO-A's guidance length through a run: the {@link GuidanceLength} state the learner advances after each step,
 * and the ℓ each policy version samples with. The learner records ℓ for version v + 1 before it publishes those
 * weights, so a sampler always finds the ℓ of the version it samples with; a deterministic run samples each prompt
 * with the ℓ of its exact version, whatever the timing. Thread-safe: the learner writes, samplers read.
 *
 * <p>Its {@link State} (the rule's state and the ℓ of the versions still in use) is part of a run's checkpoint, so a
 * resumed run continues the same cycle with the same lengths.
 */
public final class GuidanceSchedule {
    private final int keepVersions;
    private GuidanceLength length;
    private final TreeMap<Long, Integer> byVersion = new TreeMap<>();

    /**
     * The rule's state and the ℓ of recent versions, as a checkpoint stores them.
     *
     * @param length the rule's state after the last step
     * @param byVersion ℓ of each version still kept
     */
    public record State(GuidanceLength length, SortedMap<Long, Integer> byVersion) {
        public State {
            byVersion = new TreeMap<>(byVersion);
        }
    }

    /**
     * @param start the rule's state at {@code version}
     * @param version the version the run starts from
     * @param keepVersions how many of the newest versions' ℓ are kept (samplers may lag the learner by max-staleness)
     */
    public GuidanceSchedule(GuidanceLength start, long version, int keepVersions) {
        this.keepVersions = Math.max(1, keepVersions);
        this.length = start;
        byVersion.put(version, start.length());
    }

    /** Continues from a checkpoint's state. */
    public GuidanceSchedule(State state, int keepVersions) {
        this.keepVersions = Math.max(1, keepVersions);
        this.length = state.length();
        byVersion.putAll(state.byVersion());
        if (byVersion.isEmpty()) {
            throw new IllegalArgumentException("a guidance state without any version");
        }
    }

    /**
     * After the step that makes {@code version}: advances the rule with the step's training accuracy (the mean
     * reward of its scored completions; a step without any is not counted) and records ℓ for {@code version}.
     */
    public synchronized void afterStep(long version, double accuracy) {
        if (Double.isFinite(accuracy)) {
            length = length.observe(accuracy);
        }
        byVersion.put(version, length.length());
        while (byVersion.size() > keepVersions) {
            byVersion.pollFirstEntry();
        }
    }

    /** ℓ for samples of {@code version}: its own, or the newest known before it (never a later one). */
    public synchronized int lengthAt(long version) {
        Map.Entry<Long, Integer> e = byVersion.floorEntry(version);
        return e != null ? e.getValue() : byVersion.firstEntry().getValue();
    }

    /** ℓ the next samples get: that of the newest version. */
    public synchronized int current() {
        return byVersion.lastEntry().getValue();
    }

    public synchronized State state() {
        return new State(length, byVersion);
    }
}
