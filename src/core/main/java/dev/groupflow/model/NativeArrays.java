package dev.groupflow.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Float32 data into and out of native (PyTorch) tensors without a whole tensor ever passing through Java memory.
 *
 * <p>Why this exists: DJL's {@code manager.create(buffer)} wraps a Java direct buffer as the tensor's storage, and
 * {@code a.copyTo(b)} / {@code b.set(buffer)} go through a {@code byte[]} copy of the whole tensor and then a new
 * direct buffer that becomes the target's storage. Direct buffers count against the JVM's direct-memory limit (the
 * heap size by default), so a real-size model loaded or copied that way dies with "Cannot reserve ... bytes of
 * direct buffer memory" long before the machine is out of memory. Here every tensor is allocated by PyTorch, data is
 * written through views of its own memory a chunk at a time, and tensor-to-tensor copies stay native.
 */
public final class NativeArrays {
    /** Elements written or read per chunk (16 MiB of floats). */
    static final int CHUNK_ELEMENTS = 1 << 22;

    private NativeArrays() {
    }

    /** Writes {@code count} floats, elements {@code [first, first + count)} of a tensor, into {@code dst}. */
    @FunctionalInterface
    public interface ChunkWriter {
        /** {@code dst} is native-order, positioned at 0, with exactly {@code 4 · count} bytes remaining. */
        void write(long first, int count, ByteBuffer dst);
    }

    /** An uninitialised float32 tensor allocated by PyTorch on the manager's device (no Java buffer behind it). */
    public static NDArray empty(NDManager manager, Shape shape) {
        return JniUtils.createEmptyNdArray((PtNDManager) manager, shape, DataType.FLOAT32, manager.getDevice(),
                SparseFormat.DENSE);
    }

    /**
     * Fills a contiguous float32 tensor, {@link #CHUNK_ELEMENTS} elements at a time. On the CPU the writer writes
     * straight into the tensor's memory; on another device each chunk goes through one small staging buffer.
     */
    public static void fill(NDArray target, ChunkWriter writer) {
        long n = target.size();
        boolean cpu = isCpu(target);
        ByteBuffer staging = cpu ? null
                : ByteBuffer.allocateDirect((int) Math.min(n, CHUNK_ELEMENTS) * Float.BYTES).order(ByteOrder.nativeOrder());
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDScope ignored = new NDScope()) {
            NDArray flat = target.reshape(-1);                                   // [N], a view
            for (long first = 0; first < n; first += CHUNK_ELEMENTS) {
                int count = (int) Math.min(CHUNK_ELEMENTS, n - first);
                try (NDArray view = flat.get(new NDIndex().addSliceDim(first, first + count))) {
                    if (cpu) {
                        ByteBuffer dst = view.toByteBuffer(true).order(ByteOrder.nativeOrder());
                        writer.write(first, count, dst);
                    } else {
                        staging.clear().limit(count * Float.BYTES);
                        writer.write(first, count, staging.slice().order(ByteOrder.nativeOrder()));
                        staging.position(0).limit(count * Float.BYTES);
                        try (NDArray chunk = target.getManager().create(staging.slice().order(ByteOrder.nativeOrder()),
                                new Shape(count), DataType.FLOAT32)) {
                            copy(chunk, view);
                        }
                    }
                }
            }
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    /**
     * Copies {@code src} into {@code dst} in place (same shape), natively: {@code dst} keeps its own storage, and a
     * parameter keeps its gradient flag. Runs with grad mode off.
     */
    public static void copy(NDArray src, NDArray dst) {
        if (!src.getShape().equals(dst.getShape())) {
            throw new IllegalArgumentException("cannot copy " + src.getShape() + " into " + dst.getShape());
        }
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDScope ignored = new NDScope()) {
            NDArray from = src.getDevice().equals(dst.getDevice()) ? src : src.toDevice(dst.getDevice(), true);
            if (dst.getShape().dimension() == 0) {
                dst.reshape(1).set(new NDIndex().addSliceDim(0, 1), from.reshape(1));
                return;
            }
            long rows = dst.getShape().get(0);
            JniUtils.indexSet((PtNDArray) dst, (PtNDArray) from, new long[] {0}, new long[] {rows}, new long[] {1});
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    /**
     * The floats of a contiguous float32 tensor: on the CPU a view of the tensor's own memory (nothing copied),
     * valid while the tensor's storage lives and is not modified; on another device a host copy.
     */
    public static FloatBuffer view(NDArray array) {
        return array.toByteBuffer(isCpu(array)).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private static boolean isCpu(NDArray a) {
        return Device.Type.CPU.equals(a.getDevice().getDeviceType());
    }
}
