package dev.groupflow.model.lora;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

/**
 * The {@code lora} section: low-rank adapters (Hu et al. 2021) instead of full fine-tuning.
 *
 * <p>Each targeted projection {@code W} [out, in] of every layer gets {@code A} [r, in] and {@code B} [out, r];
 * the layer computes {@code W x + (α / r) · B A dropout(x)}. A starts uniform in ±1/√in and B at zero (PEFT's
 * initialisation), so training starts exactly at the base model.
 *
 * @param rank r; 0 = full fine-tuning (no adapters)
 * @param alpha α; the update is scaled by α / r
 * @param targets projections that get adapters (Hugging Face names)
 * @param dropout probability of zeroing an input element of an adapter while training (never when sampling or
 *     for the reference model)
 * @param sampler how the sampler applies the adapters: {@code adapters} (base weights shared with the learner,
 *     the two small matmuls per projection at every token) or {@code merged} (its own copy of the base with
 *     {@code (α / r) B A} added after each update: one full model more)
 */
public record LoraConfig(int rank, double alpha, List<String> targets, double dropout, String sampler) {

    /** Every linear projection of attention and MLP, in layer order. */
    public static final List<String> ALL_TARGETS = List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
            "up_proj", "down_proj");
    /** Full fine-tuning. */
    public static final LoraConfig NONE = new LoraConfig(0, 0, ALL_TARGETS, 0, "adapters");

    public LoraConfig {
        targets = List.copyOf(targets);
    }

    /** Whether adapters are used at all ({@code rank > 0}). */
    public boolean enabled() {
        return rank > 0;
    }

    /** α / r. */
    public double scaling() {
        return alpha / rank;
    }

    /** Whether the sampler runs on merged weights. */
    public boolean mergedSampler() {
        return sampler.equals("merged");
    }

    /** Targets as written in a configuration: the projections' names, or {@code all-linear} for every one. */
    public static List<String> targets(List<String> written) {
        List<String> targets = new ArrayList<>();
        for (String t : written) {
            targets.add(t.toLowerCase(Locale.ROOT));
        }
        return targets.equals(List.of("all-linear")) ? ALL_TARGETS : targets;
    }

    /** Problems of these values, as "key: problem" lines. */
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        if (rank < 0) {
            p.add("lora.rank: must be >= 0 (0 = full fine-tuning), got " + rank);
        }
        if (rank > 0 && !(alpha > 0)) {
            p.add("lora.alpha: must be > 0, got " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            p.add("lora.dropout: must be in [0, 1), got " + dropout);
        }
        if (targets.isEmpty()) {
            p.add("lora.targets: at least one projection (or all-linear)");
        }
        for (String t : targets) {
            if (!ALL_TARGETS.contains(t)) {
                p.add("lora.targets: '" + t + "' is not one of " + ALL_TARGETS + " (or all-linear)");
            }
        }
        if (new LinkedHashSet<>(targets).size() != targets.size()) {
            p.add("lora.targets: a projection is listed twice: " + targets);
        }
        if (!sampler.equals("adapters") && !sampler.equals("merged")) {
            p.add("lora.sampler: '" + sampler + "' is not one of [adapters, merged]");
        }
        return p;
    }
}
