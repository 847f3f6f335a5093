package dev.groupflow.model;

import ai.djl.nn.Parameter;

/** Small architectures for tests (random weights, fast on two cores). */
public final class TinyModels {
    private TinyModels() {
    }

    /** A Qwen3-style config: q/k norm, GQA (4 heads over 2 KV heads), explicit head_dim. */
    public static ModelConfig qwen3(int vocab) {
        return ModelConfig.of("qwen3", new ModelConfig.Size(vocab, 32, 64, 2, 4, 2), d -> {
            d.headDim = 12;
            d.qkNorm = true;
            d.maxPositionEmbeddings = 256;
        });
    }

    /** A Qwen2-style config: q/k/v biases, tied embeddings. */
    public static ModelConfig qwen2(int vocab) {
        return ModelConfig.of("qwen2", new ModelConfig.Size(vocab, 24, 48, 2, 6, 2), d -> {
            d.tieWordEmbeddings = true;
            d.qkvBias = true;
            d.maxPositionEmbeddings = 256;
        });
    }

    /** A Llama-style config with attention and MLP biases (exercises every optional parameter). */
    public static ModelConfig llamaWithBiases(int vocab) {
        return ModelConfig.of("llama", new ModelConfig.Size(vocab, 16, 40, 2, 4, 4), d -> {
            d.rmsNormEps = 1e-5;
            d.ropeTheta = 500000.0;
            d.qkvBias = true;
            d.oBias = true;
            d.mlpBias = true;
            d.maxPositionEmbeddings = 256;
        });
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
