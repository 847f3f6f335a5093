package dev.groupflow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;

/**
 * Causal self-attention with grouped KV heads, rotary positions, optional q/k RMSNorm (Qwen3) and optional
 * projection biases (Qwen2 q/k/v; Llama {@code attention_bias}).
 *
 * <p>The q, k and v projections are one fused matrix (rows: H·D of q, then KV·D of k, then KV·D of v), so a
 * layer does one matmul where Hugging Face does three; the checkpoint mapping splits it back into
 * {@code q_proj}, {@code k_proj}, {@code v_proj}. Grouped-query attention never copies keys: the query heads
 * are regrouped as [B, KV, R·T, D] (R = H / KV) and multiplied against [B, KV, S, D] directly.
 */
public final class Attention extends LmBlock {
    private final int heads;     // H
    private final int kvHeads;   // KV
    private final int headDim;   // D
    private final float eps;
    private final float scale;   // 1 / sqrt(D)
    private final Parameter qkvWeight; // [(H + 2 KV) D, E]
    private final Parameter qkvBias;   // [(H + 2 KV) D] or null
    private final Parameter oWeight;   // [E, H D]
    private final Parameter oBias;     // [E] or null
    private final Parameter qNorm;     // [D] or null
    private final Parameter kNorm;     // [D] or null

    public Attention(ModelConfig c) {
        this.heads = c.numHeads();
        this.kvHeads = c.numKvHeads();
        this.headDim = c.headDim();
        this.eps = (float) c.rmsNormEps();
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        this.qkvWeight = param("qkv_weight", Parameter.Type.WEIGHT);
        this.qkvBias = c.qkvBias() ? param("qkv_bias", Parameter.Type.BIAS) : null;
        this.oWeight = param("o_weight", Parameter.Type.WEIGHT);
        this.oBias = c.oBias() ? param("o_bias", Parameter.Type.BIAS) : null;
        this.qNorm = c.qkNorm() ? param("q_norm", Parameter.Type.GAMMA) : null;
        this.kNorm = c.qkNorm() ? param("k_norm", Parameter.Type.GAMMA) : null;
    }

    Parameter qkvWeight() {
        return qkvWeight;
    }

    Parameter qkvBias() {
        return qkvBias;
    }

    Parameter oWeight() {
        return oWeight;
    }

    Parameter oBias() {
        return oBias;
    }

    Parameter qNorm() {
        return qNorm;
    }

    Parameter kNorm() {
        return kNorm;
    }

    /**
     * @param x [B, T, E] normalised hidden states
     * @param cos [B, T, 1, D] rotary cos at each position
     * @param sin [B, T, 1, D] rotary sin at each position
     * @param bias [B, 1, 1, T, S] additive attention bias (0 = attend, -1e30 = masked), or null for none
     * @param cache the KV cache (keys/values of earlier positions, S = cached + T), or null (S = T)
     * @param layer this layer's index in the cache
     * @param adapters low-rank updates of the projections, or null
     * @return [B, T, E]
     */
    public NDArray forward(NDArray x, NDArray cos, NDArray sin, NDArray bias, KvCache cache, int layer,
                           Adapters adapters) {
        Shape in = x.getShape();
        long b = in.get(0);
        long t = in.get(1);
        NDArray qkv = Linear.linear(x, value(qkvWeight), value(qkvBias)).singletonOrThrow()
                .reshape(b, t, heads + 2L * kvHeads, headDim);                 // [B, T, H + 2KV, D]
        NDList parts = qkv.split(new long[] {heads, heads + kvHeads}, 2);
        NDArray q = parts.get(0);                                            // [B, T, H, D]
        NDArray k = parts.get(1);                                            // [B, T, KV, D]
        NDArray v = parts.get(2);                                            // [B, T, KV, D]
        if (adapters != null) {
            q = withDelta(q, adapters.delta(layer, "q_proj", x));
            k = withDelta(k, adapters.delta(layer, "k_proj", x));
            v = withDelta(v, adapters.delta(layer, "v_proj", x));
        }
        if (qNorm != null) {
            q = RmsNorm.normalize(q, eps).mul(qNorm.getArray());
            k = RmsNorm.normalize(k, eps).mul(kNorm.getArray());
        }
        q = Scalars.mul(Rope.apply(q, cos, sin), scale).transpose(0, 2, 1, 3); // [B, H, T, D]
        k = Rope.apply(k, cos, sin).transpose(0, 2, 1, 3);                  // [B, KV, T, D]
        v = v.transpose(0, 2, 1, 3);                                         // [B, KV, T, D]
        if (cache != null) {
            NDList kv = cache.append(layer, k, v);
            k = kv.get(0);                                                   // [B, KV, S, D]
            v = kv.get(1);                                                   // [B, KV, S, D]
        }
        long s = k.getShape().get(2);
        int groups = heads / kvHeads;
        NDArray scores = q.reshape(b, kvHeads, groups * t, headDim)         // [B, KV, R T, D]
                .matMul(k.transpose(0, 1, 3, 2));                            // [B, KV, R T, S]
        if (bias != null) {
            scores = scores.reshape(b, kvHeads, groups, t, s).add(bias);     // [B, KV, R, T, S]
        }
        NDArray probs = scores.softmax(-1).reshape(b, kvHeads, groups * t, s);
        NDArray out = probs.matMul(v)                                        // [B, KV, R T, D]
                .reshape(b, heads, t, headDim)                               // [B, H, T, D]
                .transpose(0, 2, 1, 3)                                       // [B, T, H, D]
                .reshape(b, t, (long) heads * headDim);                      // [B, T, H D]
        NDArray y = Linear.linear(out, value(oWeight), value(oBias)).singletonOrThrow(); // [B, T, E]
        return adapters == null ? y : withDelta(y, adapters.delta(layer, "o_proj", out));
    }

    /** {@code y + delta}, the delta ([..., out]) shaped as y; y itself when there is none. */
    static NDArray withDelta(NDArray y, NDArray delta) {
        return delta == null ? y : y.add(delta.reshape(y.getShape()));
    }
}
