package dev.groupflow.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a training run will hold in memory, part by part, computed before any weight is loaded: printed at start,
 * and a run whose total exceeds its budget refuses to start with this table instead of dying midway.
 *
 * <p>Every weight, gradient and optimizer moment is float32 (4 bytes). With adapters the frozen base weights are held
 * once and shared by the learner, the reference model and the sampler. Activations are estimated for the largest
 * learner micro-batch from the implementation's tensors per token and layer (an upper bound: every intermediate of
 * a layer, {@link #layerFloatsPerToken}); see docs/memory.md for every formula.
 *
 * @param parts the rows of the table
 * @param budget bytes the run may use, or 0 when nothing is checked
 * @param budgetSource where the budget comes from (for the table)
 */
public record MemoryPlan(List<Part> parts, long budget, String budgetSource) {

    /** One row: a part of the run, its bytes, and what they are. */
    public record Part(String name, long bytes, String detail) {
    }

    /** What the plan is computed from. */
    public record Inputs(ModelConfig model, Adaptation adaptation, boolean reference, Sampler sampler,
                         int learnerRows, int microBatchTokens, int promptTokens, int completionTokens,
                         int samplerRows, TrainingMemory memory, long runtimeBytes) {
    }

    /**
     * Low-rank adapters on the model, as far as memory goes.
     *
     * @param rank r (0: full fine-tuning, no adapters)
     * @param parameters the adapters' parameters
     * @param activationFloatsPerToken what they add to one layer's forward pass, per token
     * @param mergedSampler whether the sampler holds its own merged copy of the base
     */
    public record Adaptation(int rank, long parameters, long activationFloatsPerToken, boolean mergedSampler) {
        /** Full fine-tuning. */
        public static final Adaptation NONE = new Adaptation(0, 0, 0, false);

        boolean enabled() {
            return rank > 0;
        }
    }

    /** Where the sampler's weights come from. */
    public enum Sampler {
        /** Lockstep: the sampler reads the learner's own weights (nothing overlaps). */
        SHARED,
        /** Streaming: one replica the sampler copies the newest weights into between batches. */
        REPLICA,
        /** Deterministic mode or sampler workers: kept versions plus the sampler's replica. */
        VERSIONS
    }

    private static final long F = Float.BYTES;

    /**
     * The plan of a run.
     *
     * @param keptVersions versions of the weights kept besides the sampler's replica (deterministic mode: max-staleness
     *     + 1; sampler workers: 1)
     */
    public static MemoryPlan plan(Inputs in, int keptVersions, long budget, String budgetSource) {
        ModelConfig m = in.model();
        long p = parameterCount(m);
        Adaptation ad = in.adaptation();
        boolean lora = ad.enabled();
        long a = ad.parameters();
        long trained = lora ? a : p;
        List<Part> parts = new ArrayList<>();
        parts.add(new Part("policy weights", F * (p + a), String.format(Locale.ROOT, "%s parameters%s, float32",
                count(p), lora ? " frozen + " + count(a) + " in adapters (r = " + ad.rank() + ")" : "")));
        parts.add(new Part("gradients", F * trained, lora ? "adapters only" : "every weight"));
        long largest = largestTensor(m);
        long updateTemp = 2 * F * Math.min(lora ? 0 : largest, NativeArrays.CHUNK_ELEMENTS);
        parts.add(new Part("optimizer (AdamW)", 2 * F * trained + updateTemp, "m and v, float32"
                + (updateTemp > 0 ? ", update temporaries of one chunk" : "")));
        if (in.reference()) {
            parts.add(new Part("reference model", lora ? 0 : F * p, lora
                    ? "the frozen base with adapters off: shared, nothing copied" : "a copy of the initial weights"));
        } else {
            parts.add(new Part("reference model", 0, "none (grpo.beta = 0)"));
        }
        long weightCopy = lora ? (ad.mergedSampler() ? F * (p + a) : F * a) : F * p;
        long samplerWeights = switch (in.sampler()) {
            case SHARED -> lora ? F * a : 0;
            case REPLICA -> weightCopy + (lora ? F * a : 0);
            case VERSIONS -> weightCopy + keptVersions * (lora ? F * a : F * p);
        };
        long kv = (long) in.samplerRows() * (in.promptTokens() + in.completionTokens()) * m.numLayers() * 2
                * m.numKvHeads() * m.headDim() * F;
        long samplerLogits = 4 * (long) in.samplerRows() * m.vocabSize() * F;
        String how = switch (in.sampler()) {
            case SHARED -> "reads the learner's weights (lockstep)";
            case REPLICA -> lora ? (ad.mergedSampler() ? "its own merged copy of the base"
                    : "the shared base + its copy of the adapters") : "its own copy of the weights";
            case VERSIONS -> (keptVersions) + " kept version(s) + its own copy";
        };
        parts.add(new Part("sampler replica", samplerWeights + kv + samplerLogits, how + "; KV cache "
                + gib(kv) + " GiB for " + in.samplerRows() + " rows of " + (in.promptTokens() + in.completionTokens())
                + " tokens"));
        int rowTokens = in.promptTokens() + in.completionTokens();
        int rows = Math.max(1, Math.min(in.learnerRows(), in.microBatchTokens() / Math.max(1, rowTokens)));
        long tokens = (long) rows * rowTokens;
        long predicted = (long) rows * in.completionTokens();
        long perLayer = (layerFloatsPerToken(m, rowTokens) + ad.activationFloatsPerToken()) * F * tokens;
        long layers = in.memory().recompute()
                ? (long) m.numLayers() * tokens * m.hiddenSize() * F + perLayer + 2 * tokens * m.hiddenSize() * F
                : m.numLayers() * perLayer;
        long vocabRows = in.memory().rowsPerChunk(m.vocabSize());
        long head = predicted <= vocabRows && !in.memory().recompute()
                ? 5 * predicted * m.vocabSize() * F
                : 4 * Math.min(predicted, vocabRows) * m.vocabSize() * F + 2 * predicted * m.hiddenSize() * F;
        parts.add(new Part("activations", layers + head, String.format(Locale.ROOT,
                "micro-batch of %d rows x %d tokens; %s; logits %s", rows, rowTokens,
                in.memory().recompute() ? "layers recomputed (inputs kept)" : "every layer's activations kept",
                predicted <= vocabRows && !in.memory().recompute() ? "whole" : "in chunks of " + vocabRows + " rows")));
        parts.add(new Part("runtime", in.runtimeBytes(), "JVM, native libraries, allocator slack"));
        return new MemoryPlan(parts, budget, budgetSource);
    }

    /**
     * Floats per token of one decoder layer's forward pass as implemented (norms, fused projections, rotary
     * embedding, attention over {@code keys} keys, SwiGLU, residuals): an upper bound on what it keeps.
     */
    static long layerFloatsPerToken(ModelConfig m, int keys) {
        long e = m.hiddenSize();
        long hd = (long) m.numHeads() * m.headDim();
        long kvd = (long) m.numKvHeads() * m.headDim();
        long i = m.intermediateSize();
        return 8 * e + (15 * hd + 11 * kvd) / 2 + 5 * i + 3L * m.numHeads() * keys;
    }

    /** Parameters of an architecture (embedding, layers, final norm, untied head). */
    public static long parameterCount(ModelConfig m) {
        long e = m.hiddenSize();
        long hd = (long) m.numHeads() * m.headDim();
        long kvd = (long) m.numKvHeads() * m.headDim();
        long i = m.intermediateSize();
        long layer = 2 * e + e * (hd + 2 * kvd) + hd * e + 3 * e * i;
        layer += m.qkvBias() ? hd + 2 * kvd : 0;
        layer += m.oBias() ? e : 0;
        layer += m.mlpBias() ? 2 * i + e : 0;
        layer += m.qkNorm() ? 2L * m.headDim() : 0;
        long embedding = (long) m.vocabSize() * e;
        return embedding + m.numLayers() * layer + e + (m.tieWordEmbeddings() ? 0 : embedding);
    }

    private static long largestTensor(ModelConfig m) {
        long e = m.hiddenSize();
        return Math.max((long) m.vocabSize() * e, 2L * m.intermediateSize() * e);
    }

    /** Sum of all parts. */
    public long total() {
        return parts.stream().mapToLong(Part::bytes).sum();
    }

    /** Whether the plan fits its budget (always, when nothing is checked). */
    public boolean fits() {
        return budget <= 0 || total() <= budget;
    }

    /** The table, one part per line, in GiB. */
    public String table() {
        StringBuilder sb = new StringBuilder("memory plan (GiB)\n");
        for (Part p : parts) {
            sb.append(String.format(Locale.ROOT, "  %-18s %7.2f   %s%n", p.name(), p.bytes() / (double) (1L << 30),
                    p.detail()));
        }
        sb.append(String.format(Locale.ROOT, "  %-18s %7.2f   %s", "total", total() / (double) (1L << 30),
                budget > 0 ? "of " + gib(budget) + " GiB " + budgetSource : "(memory.budget = off: not checked)"));
        return sb.toString();
    }

    /** The budget for {@code memory.budget}: the setting itself, or what is available now (auto). */
    public static long budget(MemorySettings s, long residentNow) {
        if (s.budget() != MemorySettings.AUTO) {
            return s.budget();
        }
        long available = availableBytes();
        return available <= 0 ? 0 : available + residentNow;
    }

    /** MemAvailable of /proc/meminfo, bounded by the cgroup's memory.max when set; 0 when unknown. */
    static long availableBytes() {
        long available = readMeminfo("MemAvailable:");
        try {
            Path max = Path.of("/sys/fs/cgroup/memory.max");
            Path current = Path.of("/sys/fs/cgroup/memory.current");
            if (Files.isReadable(max) && Files.isReadable(current)) {
                String v = Files.readString(max).trim();
                if (!v.equals("max")) {
                    long room = Long.parseLong(v) - Long.parseLong(Files.readString(current).trim());
                    available = available <= 0 ? room : Math.min(available, room);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // no cgroup limit to honour
        }
        return Math.max(0, available);
    }

    /** This process's resident memory now (VmRSS), 0 when unknown. */
    public static long residentBytes() {
        return statusBytes(ProcessHandle.current().pid(), "VmRSS:");
    }

    /** A size field of a process's /proc/PID/status ({@code VmRSS:}, {@code VmHWM:}, ...) in bytes; 0 when unknown. */
    public static long statusBytes(long pid, String key) {
        return readStatus(Path.of("/proc/" + pid + "/status"), key);
    }

    private static long readMeminfo(String key) {
        return readStatus(Path.of("/proc/meminfo"), key);
    }

    private static long readStatus(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(key)) {
                    String[] f = line.substring(key.length()).trim().split("\\s+");
                    return Long.parseLong(f[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    private static String count(long n) {
        return n >= 1_000_000 ? String.format(Locale.ROOT, "%.1f M", n / 1e6) : String.format(Locale.ROOT, "%,d", n);
    }

    private static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.2f", bytes / (double) (1L << 30));
    }
}
