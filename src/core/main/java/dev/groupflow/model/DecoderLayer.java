package dev.groupflow.model;

import ai.djl.ndarray.NDArray;

/** One pre-norm decoder layer: {@code x += attn(norm1(x)); x += mlp(norm2(x))}. */
public final class DecoderLayer extends LmBlock {
    private final RmsNorm inputNorm;
    private final Attention attention;
    private final RmsNorm postAttentionNorm;
    private final Mlp mlp;
    private final int index;
    private Adapters adapters; // null: no low-rank updates

    public DecoderLayer(ModelConfig c, int index) {
        this.index = index;
        this.inputNorm = addChildBlock("input_layernorm", new RmsNorm(c.rmsNormEps()));
        this.attention = addChildBlock("self_attn", new Attention(c));
        this.postAttentionNorm = addChildBlock("post_attention_layernorm", new RmsNorm(c.rmsNormEps()));
        this.mlp = addChildBlock("mlp", new Mlp(c));
    }

    /** Low-rank updates of this layer's projections (null: none); set by the model. */
    void setAdapters(Adapters adapters) {
        this.adapters = adapters;
    }

    RmsNorm inputNorm() {
        return inputNorm;
    }

    Attention attention() {
        return attention;
    }

    RmsNorm postAttentionNorm() {
        return postAttentionNorm;
    }

    Mlp mlp() {
        return mlp;
    }

    /** x: [B, T, E] → [B, T, E]; see {@link Attention#forward} for the other arguments. */
    public NDArray forward(NDArray x, NDArray cos, NDArray sin, NDArray bias, KvCache cache) {
        NDArray h = x.add(attention.forward(inputNorm.forward(x), cos, sin, bias, cache, index, adapters));
        return h.add(mlp.forward(postAttentionNorm.forward(h), adapters, index));
    }
}
