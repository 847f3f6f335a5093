package dev.groupflow.bench;

import dev.groupflow.model.ModelConfig;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The benchmark shapes, identical to {@code shared/reference/decoder_bench.py} so figures compare one to one:
 * a Llama-style decoder (no biases, no q/k norm, untied head, RoPE θ = 10000, eps 1e-6).
 *
 * @param name small | medium
 * @param vocab V
 * @param hidden E
 * @param inter I
 * @param layers decoder layers
 * @param heads H
 * @param kvHeads KV
 * @param prompt prompt tokens per sequence (sampling)
 * @param newTokens new tokens per sequence (sampling)
 * @param batch sequences per call
 * @param trainLen sequence length of a training step (B × (trainLen − 1) predicted tokens)
 */
public record BenchShape(String name, int vocab, int hidden, int inter, int layers, int heads, int kvHeads,
                         int prompt, int newTokens, int batch, int trainLen) {

    public static final Map<String, BenchShape> SHAPES = Map.of(
            "small", new BenchShape("small", 4096, 256, 688, 4, 8, 4, 32, 64, 16, 96),
            "medium", new BenchShape("medium", 8192, 512, 1376, 8, 8, 4, 64, 128, 16, 192));

    public static BenchShape named(String name) {
        BenchShape s = SHAPES.get(name);
        if (s == null) {
            throw new IllegalArgumentException("unknown shape '" + name + "' (known: " + List.copyOf(
                    new TreeSet<>(SHAPES.keySet())) + ")");
        }
        return s;
    }

    public ModelConfig modelConfig() {
        return ModelConfig.of("llama", new ModelConfig.Size(vocab, hidden, inter, layers, heads, kvHeads), d -> { });
    }
}
