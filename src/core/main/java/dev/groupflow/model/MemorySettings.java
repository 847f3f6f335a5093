package dev.groupflow.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code memory} section: what a run may use and what trades compute for memory (docs/memory.md).
 *
 * @param budget bytes the run may use; {@link #AUTO} = the memory available when it starts; {@link #OFF} = no check
 * @param logitsChunk most bytes of float32 logits alive at once ({@link TrainingMemory#logitsChunkBytes})
 * @param recompute auto | on | off ({@link TrainingMemory#recompute}; auto = on from {@link #RECOMPUTE_FROM}
 *     parameters)
 */
public record MemorySettings(long budget, long logitsChunk, String recompute) {
    /** Budget: the memory available at start ({@code MemAvailable}). */
    public static final long AUTO = -1;
    /** Budget: print the plan, check nothing. */
    public static final long OFF = 0;
    /** {@code recompute = auto} recomputes layers of models with at least this many parameters. */
    public static final long RECOMPUTE_FROM = 100_000_000L;
    /** Defaults: budget auto, 128 MiB of logits, recompute auto. */
    public static final MemorySettings DEFAULT = new MemorySettings(AUTO, 128L << 20, "auto");

    /** Problems of these values, as "key: problem" lines. */
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        if (budget < AUTO) {
            p.add("memory.budget: must be auto, off or a positive size, got " + budget);
        }
        if (logitsChunk < 1) {
            p.add("memory.logits-chunk: must be a positive size, got " + logitsChunk);
        }
        if (!List.of("auto", "on", "off").contains(recompute)) {
            p.add("memory.recompute: '" + recompute + "' is not one of [auto, on, off]");
        }
        return p;
    }

    /** Whether layers are recomputed for a model of {@code parameters} parameters. */
    public boolean recomputes(long parameters) {
        return recompute.equals("on") || (recompute.equals("auto") && parameters >= RECOMPUTE_FROM);
    }

    /** The model-side settings for a model of {@code parameters} parameters. */
    public TrainingMemory trainingMemory(long parameters) {
        return new TrainingMemory(logitsChunk, recomputes(parameters));
    }
}
