package dev.groupflow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/** Position ids and additive attention biases for left-padded batches. */
public final class Masks {
    /** Added to the score of a masked key: large enough to vanish in softmax, finite so no row becomes NaN. */
    public static final float MASKED = -1e30f;

    private Masks() {
    }

    /**
     * Position ids that skip padding: the i-th real token of a row is at position i.
     *
     * @param mask [B, T] float32, 1 = real token, 0 = padding
     * @return [B, T] int64
     */
    public static NDArray positions(NDArray mask) {
        return mask.cumSum(1).sub(1).maximum(0).toType(DataType.INT64, false);
    }

    /**
     * The additive bias for T queries that are the last T of S keys: query t may attend key s when s is a real
     * token and s ≤ S − T + t (causal).
     *
     * @param keyMask [B, S] float32, 1 = real token
     * @param t number of queries
     * @return [B, 1, 1, T, S], 0 where attending, {@link #MASKED} elsewhere
     */
    public static NDArray causalBias(NDArray keyMask, int t) {
        long b = keyMask.getShape().get(0);
        long s = keyMask.getShape().get(1);
        NDManager m = keyMask.getManager();
        NDArray allowed;
        if (t == 1) {
            allowed = keyMask.expandDims(1);                                       // [B, 1, S]
        } else {
            NDArray keyPos = m.arange(0f, (float) s).expandDims(0);                // [1, S]
            NDArray lastVisible = m.arange((float) (s - t), (float) s).expandDims(1); // [T, 1]
            NDArray causal = keyPos.lte(lastVisible).toType(DataType.FLOAT32, false); // [T, S]
            allowed = causal.expandDims(0).mul(keyMask.expandDims(1));             // [B, T, S]
        }
        return allowed.sub(1f).mul(-MASKED).reshape(b, 1, 1, t, s);
    }
}
