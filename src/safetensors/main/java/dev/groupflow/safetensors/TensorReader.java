package dev.groupflow.safetensors;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * Read access to named tensors: one safetensors file ({@link SafetensorsFile}) or a whole, possibly sharded,
 * checkpoint directory ({@link SafetensorsCheckpoint}).
 *
 * <p>Float reads convert the stored dtype to {@code float}: F32 as is (bit-exact, NaN payloads and -0.0 kept), BF16
 * and F16 widened exactly, F64 narrowed (round to nearest). Elements come out in row-major order. Reading a tensor of
 * an integer/bool/FP8 dtype as float throws {@link SafetensorsException}. Problems with the files or the data throw
 * {@link SafetensorsException}; caller mistakes (destination too small or read-only, element range outside the
 * tensor) throw {@link IllegalArgumentException}. Implementations are safe for concurrent reads from several threads.
 */
public interface TensorReader extends AutoCloseable {

    /** All tensor names, sorted. */
    List<String> names();

    /** Whether a tensor with this name exists. */
    boolean contains(String name);

    /** Info (dtype, shape, byte range, file) of a tensor; {@link SafetensorsException} if there is no such tensor. */
    TensorInfo info(String name);

    /** Shape of a tensor, outermost dimension first (shortcut for {@code info(name).shape()}). */
    default long[] shape(String name) {
        return info(name).shape();
    }

    /** The whole tensor as a new {@code float[]} (row-major). */
    float[] readFloats(String name);

    /**
     * Writes the whole tensor as floats into {@code dst} at its position and advances the position by
     * {@code numElements}.
     */
    void readInto(String name, FloatBuffer dst);

    /**
     * Writes the whole tensor as F32 in {@linkplain ByteOrder#nativeOrder() native byte order} (little-endian on
     * every platform DJL supports) into {@code dst} at its position, whatever {@code dst.order()} says, and advances
     * the position by {@code 4 * numElements}. For an F32 tensor on a little-endian machine this is a straight read
     * from the file into the buffer, no conversion.
     */
    default void readInto(String name, ByteBuffer dst) {
        readInto(name, 0, info(name).numElements(), dst);
    }

    /**
     * Like {@link #readInto(String, ByteBuffer)} for the elements {@code [firstElement, firstElement + count)} of the
     * row-major flattened tensor, for tensors too large for one buffer.
     */
    void readInto(String name, long firstElement, long count, ByteBuffer dst);

    /**
     * The whole tensor as F32 in a new direct buffer in native order, position 0, limit {@code 4 * numElements} —
     * the form DJL's {@code NDManager.create(Buffer, Shape)} takes without copying through the heap.
     */
    default ByteBuffer readDirect(String name) {
        long bytes = SafetensorsFile.floatBytesForOneBuffer(info(name));
        ByteBuffer buf = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder());
        readInto(name, buf);
        buf.flip();
        return buf;
    }

    /**
     * Copies the tensor's stored bytes unchanged (its own dtype, little-endian) into {@code dst} at its position and
     * advances the position by {@code byteSize}. Works for every dtype.
     */
    void readRaw(String name, ByteBuffer dst);

    /** Closes the underlying files. Further reads fail with {@link IllegalStateException}. */
    @Override
    void close();
}
