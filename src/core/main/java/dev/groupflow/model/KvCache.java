package dev.groupflow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of every layer for a batch of left-padded sequences, preallocated to a fixed capacity so
 * that decoding writes one column in place instead of re-concatenating the cache at every token.
 *
 * <p>All rows share one length (left padding keeps them aligned); {@link #keyMask} marks which key columns are
 * real tokens (1) and which are padding (0). Arrays live on the model's device and outside any per-step
 * {@link NDScope}; {@link #close()} frees them.
 */
public final class KvCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;   // per layer [B, KV, capacity, D]
    private final NDArray[] values; // per layer [B, KV, capacity, D]
    private NDArray keyMask;        // [B, capacity] float32, 1 = real token
    private final int capacity;
    private int rows;
    private int length;

    public KvCache(NDManager parent, ModelConfig config, int rows, int capacity) {
        this.manager = parent.newSubManager();
        this.capacity = capacity;
        this.rows = rows;
        this.keys = new NDArray[config.numLayers()];
        this.values = new NDArray[config.numLayers()];
        Shape shape = new Shape(rows, config.numKvHeads(), capacity, config.headDim());
        for (int i = 0; i < keys.length; i++) {
            keys[i] = keep(manager.zeros(shape, DataType.FLOAT32));
            values[i] = keep(manager.zeros(shape, DataType.FLOAT32));
        }
        keyMask = keep(manager.zeros(new Shape(rows, capacity), DataType.FLOAT32));
    }

    private static NDArray keep(NDArray a) {
        NDScope.unregister(a);
        return a;
    }

    /** Number of positions filled so far (the same for every row). */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    public int rows() {
        return rows;
    }

    /**
     * Appends T new positions: their key mask (1 for real tokens) and, layer by layer through
     * {@link #append}, their keys and values. Call {@link #advance} once all layers are written.
     *
     * @param newMask [B, T] float32
     */
    public void appendMask(NDArray newMask) {
        int t = (int) newMask.getShape().get(1);
        if (length + t > capacity) {
            throw new IllegalStateException("KV cache full: " + length + " + " + t + " > capacity " + capacity);
        }
        keyMask.set(new NDIndex().addAllDim().addSliceDim(length, length + t), newMask);
    }

    /**
     * Writes layer {@code layer}'s new keys and values and returns views over everything cached so far
     * including them.
     *
     * @param k [B, KV, T, D]
     * @param v [B, KV, T, D]
     * @return {keys, values}, each [B, KV, length + T, D]
     */
    public NDList append(int layer, NDArray k, NDArray v) {
        int t = (int) k.getShape().get(2);
        NDIndex slot = new NDIndex().addAllDim(2).addSliceDim(length, length + t);
        keys[layer].set(slot, k);
        values[layer].set(slot, v);
        NDIndex filled = new NDIndex().addAllDim(2).addSliceDim(0, length + t);
        return new NDList(keys[layer].get(filled), values[layer].get(filled));
    }

    /** Marks T positions appended on every layer. */
    public void advance(int t) {
        length += t;
    }

    /** The key mask of the filled positions: [B, length] (after {@link #appendMask}, including new ones). */
    public NDArray keyMask(int upTo) {
        return keyMask.get(new NDIndex().addAllDim().addSliceDim(0, upTo));
    }

    /**
     * Keeps only the given rows, in that order (drops finished sequences, or repeats a prefilled prompt for
     * each of its samples). The arrays are replaced; the old ones are freed.
     *
     * @param rowIndex [B'] int64 indices into the current rows
     */
    public void selectRows(NDArray rowIndex) {
        for (int i = 0; i < keys.length; i++) {
            keys[i] = replace(keys[i], keys[i].get(rowIndex));
            values[i] = replace(values[i], values[i].get(rowIndex));
        }
        keyMask = replace(keyMask, keyMask.get(rowIndex));
        rows = (int) rowIndex.getShape().get(0);
    }

    private NDArray replace(NDArray old, NDArray fresh) {
        fresh.attach(manager);
        NDScope.unregister(fresh);
        old.close();
        return fresh;
    }

    @Override
    public void close() {
        manager.close();
    }
}
