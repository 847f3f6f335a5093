package dev.groupflow.model;

import ai.djl.nn.Parameter;

/**
 * Where a Hugging Face tensor lives inside groupflow's parameters: {@code rows} rows starting at
 * {@code rowOffset} of {@code parameter} (fused projections hold several HF tensors stacked along axis 0, so
 * each HF tensor is one contiguous byte range of its parameter).
 *
 * @param hfName the tensor's name in Hugging Face checkpoints
 * @param parameter the groupflow parameter holding it
 * @param shape the tensor's shape in the checkpoint
 * @param rowOffset first row within the parameter (0 when the parameter is the tensor itself)
 */
public record TensorSlot(String hfName, Parameter parameter, long[] shape, long rowOffset) {

    /** Number of float elements of the tensor. */
    public long elements() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** Elements per row (product of all dims but the first; 1 for vectors). */
    public long rowElements() {
        long n = 1;
        for (int i = 1; i < shape.length; i++) {
            n *= shape[i];
        }
        return n;
    }

    /** Byte offset of the tensor within its parameter's F32 data. */
    public long byteOffset() {
        return rowOffset * rowElements() * Float.BYTES;
    }
}
