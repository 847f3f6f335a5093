package dev.groupflow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;

/**
 * Rotary position embedding in the Hugging Face "rotate half" convention: for head width D the inverse
 * frequencies are {@code theta^(-2i/D)}, i < D/2, duplicated to width D, and a vector x at position p becomes
 * {@code x * cos(p f) + rotate_half(x) * sin(p f)} with {@code rotate_half([a, b]) = [-b, a]}.
 *
 * <p>The cos/sin tables are computed in float32 the way PyTorch does (so long positions round the same way)
 * and grow on demand up to {@code max_position_embeddings}; they live on the model's device.
 */
public final class Rope implements AutoCloseable {
    private final NDManager manager;
    private final float[] invFreq; // [D/2]
    private final int headDim;
    private final int maxPositions;
    private NDArray cos; // [P, D]
    private NDArray sin; // [P, D]
    private int capacity;

    public Rope(NDManager manager, ModelConfig config) {
        this.manager = manager;
        this.headDim = config.headDim();
        this.maxPositions = config.maxPositionEmbeddings();
        this.invFreq = inverseFrequencies(config);
    }

    static float[] inverseFrequencies(ModelConfig c) {
        int d = c.headDim();
        float[] inv = new float[d / 2];
        for (int i = 0; i < d / 2; i++) {
            float exponent = (float) (2 * i) / (float) d;
            inv[i] = (float) (1.0 / (float) Math.pow(c.ropeTheta(), exponent));
        }
        ModelConfig.RopeScaling s = c.ropeScaling();
        if (s == null) {
            return inv;
        }
        if (s.type().equals("linear")) {
            for (int i = 0; i < inv.length; i++) {
                inv[i] = (float) (inv[i] / s.factor());
            }
            return inv;
        }
        // llama3: long wavelengths scaled down by factor, short kept, a linear ramp in between
        double lowWavelen = s.originalMaxPositionEmbeddings() / s.lowFreqFactor();
        double highWavelen = s.originalMaxPositionEmbeddings() / s.highFreqFactor();
        for (int i = 0; i < inv.length; i++) {
            double wavelen = 2 * Math.PI / inv[i];
            if (wavelen > lowWavelen) {
                inv[i] = (float) (inv[i] / s.factor());
            } else if (wavelen >= highWavelen) {
                double smooth = (s.originalMaxPositionEmbeddings() / wavelen - s.lowFreqFactor())
                        / (s.highFreqFactor() - s.lowFreqFactor());
                inv[i] = (float) ((1 - smooth) * inv[i] / s.factor() + smooth * inv[i]);
            }
        }
        return inv;
    }

    /** Makes sure the tables cover positions {@code [0, positions)}. */
    public synchronized void ensure(int positions) {
        if (positions <= capacity) {
            return;
        }
        if (positions > maxPositions) {
            throw new IllegalArgumentException("position " + (positions - 1) + " is beyond max_position_embeddings "
                    + maxPositions);
        }
        int p = Math.min(maxPositions, Math.max(positions, Math.max(256, capacity * 2)));
        float[] c = new float[p * headDim];
        float[] s = new float[p * headDim];
        int half = headDim / 2;
        for (int pos = 0; pos < p; pos++) {
            for (int i = 0; i < half; i++) {
                float angle = (float) pos * invFreq[i]; // float32 product, as torch.outer in float32
                float cv = (float) Math.cos(angle);
                float sv = (float) Math.sin(angle);
                c[pos * headDim + i] = cv;
                c[pos * headDim + half + i] = cv;
                s[pos * headDim + i] = sv;
                s[pos * headDim + half + i] = sv;
            }
        }
        NDArray newCos = manager.create(c, new Shape(p, headDim));
        NDArray newSin = manager.create(s, new Shape(p, headDim));
        NDScope.unregister(newCos, newSin); // tables outlive any per-step scope that triggered their growth
        if (cos != null) {
            cos.close();
            sin.close();
        }
        cos = newCos;
        sin = newSin;
        capacity = p;
    }

    /**
     * cos and sin for the given positions, shaped to broadcast over heads.
     *
     * @param positions [B, T] int64 position ids
     * @param maxPosition one more than the largest position in {@code positions}
     * @return {cos, sin}, each [B, T, 1, D]
     */
    public NDList at(NDArray positions, int maxPosition) {
        ensure(maxPosition);
        NDArray c = Embedding.embedding(positions, cos, SparseFormat.DENSE).singletonOrThrow(); // [B, T, D]
        NDArray s = Embedding.embedding(positions, sin, SparseFormat.DENSE).singletonOrThrow(); // [B, T, D]
        return new NDList(c.expandDims(2), s.expandDims(2));
    }

    /** Rotates x [B, T, heads, D] by the angles of {@link #at}. */
    public static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        NDList halves = x.split(2, x.getShape().dimension() - 1); // each [B, T, heads, D/2]
        NDArray rotated = halves.get(1).neg().concat(halves.get(0), x.getShape().dimension() - 1); // [B, T, heads, D]
        return x.mul(cos).add(rotated.mul(sin));
    }

    @Override
    public synchronized void close() {
        if (cos != null) {
            cos.close();
            sin.close();
            cos = null;
            sin = null;
            capacity = 0;
        }
    }
}
