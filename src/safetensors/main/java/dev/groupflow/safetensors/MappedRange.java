package dev.groupflow.safetensors;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.MappedByteBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;

/**
 * One byte range of a safetensors file, memory-mapped read-only for the time it takes to widen it into a
 * destination, then unmapped at once.
 *
 * <p>Mapping reads the stored bytes where the page cache holds them (no copy into a Java buffer first), and
 * unmapping right after (instead of waiting for the garbage collector to free the mapping) keeps the process's
 * resident memory at one chunk of the file, whatever the checkpoint's size. Unmapping uses
 * {@code sun.misc.Unsafe.invokeCleaner} (module {@code jdk.unsupported}); where that is unavailable the caller
 * reads with positional reads instead ({@link #AVAILABLE}).
 */
final class MappedRange {
    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;
    /** Whether ranges can be unmapped explicitly (else callers do not map at all). */
    static final boolean AVAILABLE;

    static {
        Object unsafe = null;
        Method cleaner = null;
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            unsafe = f.get(null);
            cleaner = c.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            unsafe = null;
            cleaner = null;
        }
        UNSAFE = unsafe;
        INVOKE_CLEANER = cleaner;
        AVAILABLE = cleaner != null;
    }

    private MappedRange() {
    }

    /**
     * Widens {@code count} stored elements at file position {@code position} into {@code dst} as float32 in native
     * order (exactly {@code 4 · count} bytes from its position; the position is not moved).
     */
    static void widen(FileChannel channel, long position, Dtype dtype, int count, ByteBuffer dst) throws IOException {
        long bytes = (long) count * dtype.size();
        MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, position, bytes);
        try {
            mapped.order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer out = dst.slice().order(ByteOrder.nativeOrder());
            switch (dtype) {
                case F32 -> {
                    FloatBuffer from = mapped.asFloatBuffer();
                    out.asFloatBuffer().put(from);
                }
                case BF16 -> {
                    // the BF16 bits are the upper half of the float's
                    ShortBuffer from = mapped.asShortBuffer();
                    IntBuffer to = out.asIntBuffer();
                    for (int i = 0; i < count; i++) {
                        to.put(i, (from.get(i) & 0xFFFF) << 16);
                    }
                }
                case F16 -> {
                    ShortBuffer from = mapped.asShortBuffer();
                    FloatBuffer to = out.asFloatBuffer();
                    float[] table = FloatFormats.HalfTable.TABLE;
                    for (int i = 0; i < count; i++) {
                        to.put(i, table[from.get(i) & 0xFFFF]);
                    }
                }
                case F64 -> {
                    DoubleBuffer from = mapped.asDoubleBuffer();
                    FloatBuffer to = out.asFloatBuffer();
                    for (int i = 0; i < count; i++) {
                        to.put(i, (float) from.get(i));
                    }
                }
                default -> throw new IllegalStateException("not a float dtype: " + dtype);
            }
        } finally {
            unmap(mapped);
        }
    }

    private static void unmap(MappedByteBuffer mapped) {
        try {
            INVOKE_CLEANER.invoke(UNSAFE, mapped);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot unmap a checkpoint range", e);
        }
    }
}
