package dev.groupflow.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import dev.groupflow.model.KvCache;
import java.util.Arrays;

/**
 * One episode's keys and values between its turns: every layer's cache for exactly the tokens in
 * {@link #tokens()}, without padding, on the model's device. {@link TurnSampler} makes one when a turn ends and
 * continues from it at the episode's next turn, computing only the tokens that are new. It owns device memory:
 * whoever holds it closes it (the sampler does when it is passed back in a request).
 */
public final class CachedContext implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;   // per layer [1, KV, n, D]
    private final NDArray[] values; // per layer [1, KV, n, D]
    private final int[] tokens;
    private boolean closed;

    private CachedContext(NDManager manager, NDArray[] keys, NDArray[] values, int[] tokens) {
        this.manager = manager;
        this.keys = keys;
        this.values = values;
        this.tokens = tokens;
    }

    /**
     * Copies one row's columns out of a working cache: the given column ranges, concatenated in order, hold the keys
     * and values of {@code tokens}.
     *
     * @param layers the model's layer count
     * @param ranges pairs {from, to} of column indices; their total width is {@code tokens.length}
     */
    static CachedContext copyRow(KvCache cache, int layers, int row, int[][] ranges, int[] tokens,
                                 NDManager parent) {
        NDManager manager = parent.newSubManager();
        NDArray[] k = new NDArray[layers];
        NDArray[] v = new NDArray[layers];
        for (int layer = 0; layer < layers; layer++) {
            NDList filled = cache.filled(layer);
            k[layer] = gather(filled.get(0), row, ranges, manager);
            v[layer] = gather(filled.get(1), row, ranges, manager);
        }
        return new CachedContext(manager, k, v, tokens.clone());
    }

    /** [1, KV, n, D]: the ranges of one row, copied onto {@code manager}. */
    private static NDArray gather(NDArray all, int row, int[][] ranges, NDManager manager) {
        NDList parts = new NDList();
        for (int[] r : ranges) {
            if (r[1] > r[0]) {
                parts.add(all.get(new NDIndex().addSliceDim(row, row + 1).addAllDim().addSliceDim(r[0], r[1])));
            }
        }
        NDArray out = parts.size() == 1 ? parts.get(0).duplicate() : NDArrays.concat(parts, 2);
        out.attach(manager);
        NDScope.unregister(out);
        return out;
    }

    /** The token ids whose keys and values are cached. */
    public int[] tokens() {
        return tokens.clone();
    }

    public int length() {
        return tokens.length;
    }

    /** How many leading tokens of {@code context} equal the cached ones. */
    public int commonPrefix(int[] context) {
        int n = Math.min(tokens.length, context.length);
        int mismatch = Arrays.mismatch(Arrays.copyOf(tokens, n), Arrays.copyOf(context, n));
        return mismatch < 0 ? n : mismatch;
    }

    /** One layer's keys of the first {@code n} tokens: [1, KV, n, D] (a view). */
    NDArray keys(int layer, int n) {
        return keys[layer].get(new NDIndex().addAllDim(2).addSliceDim(0, n));
    }

    /** One layer's values of the first {@code n} tokens: [1, KV, n, D] (a view). */
    NDArray values(int layer, int n) {
        return values[layer].get(new NDIndex().addAllDim(2).addSliceDim(0, n));
    }

    public boolean closed() {
        return closed;
    }

    @Override
    public void close() {
        closed = true;
        manager.close();
    }
}
