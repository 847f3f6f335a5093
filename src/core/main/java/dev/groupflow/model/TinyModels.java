package dev.groupflow.model;

import ai.djl.nn.Parameter;
import java.util.List;

/** Small architectures for tests (random weights, fast on two cores). */
public final class TinyModels {
    private TinyModels() {
    }

    /** A Qwen3-style config: q/k norm, GQA (4 heads over 2 KV heads), explicit head_dim. */
    public static ModelConfig qwen3(int vocab) {
        return new ModelConfig("qwen3", vocab, 32, 64, 2, 4, 2, 12, 1e-6, 10000.0, null, false, false, false, false,
                true, 256, null, List.of(), "float32");
    }

    /** A Qwen2-style config: q/k/v biases, tied embeddings. */
    public static ModelConfig qwen2(int vocab) {
        return new ModelConfig("qwen2", vocab, 24, 48, 2, 6, 2, 4, 1e-6, 10000.0, null, true, true, false, false,
                false, 256, null, List.of(), "float32");
    }

    /** A Llama-style config with attention and MLP biases (exercises every optional parameter). */
    public static ModelConfig llamaWithBiases(int vocab) {
        return new ModelConfig("llama", vocab, 16, 40, 2, 4, 4, 4, 1e-5, 500000.0, null, false, true, true, true,
                false, 256, null, List.of(), "float32");
    }

    /** Every parameter value of a model, in parameter order (for comparing two models). */
    public static float[] flatWeights(CausalLm model) {
        int n = 0;
        for (Parameter p : model.parameters().values()) {
            n += (int) p.getArray().size();
        }
        float[] out = new float[n];
        int at = 0;
        for (Parameter p : model.parameters().values()) {
            float[] v = p.getArray().toFloatArray();
            System.arraycopy(v, 0, out, at, v.length);
            at += v.length;
        }
        return out;
    }
}
