package dev.groupflow.safetensors;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.Map;

/**
 * Supplies tensor data to {@link SafetensorsWriter} one tensor at a time, so a caller holding weights elsewhere (e.g.
 * in DJL arrays) only materialises one tensor at a time. The writer calls {@link #data} exactly once per tensor, in
 * the order the tensors are written (sorted by name, file by file), writes it, then calls {@link #written}.
 */
@FunctionalInterface
public interface TensorDataSource {

    /**
     * The tensor's values in row-major order: the buffer's remaining elements (position to limit) must be exactly
     * {@code spec.numElements()}. The writer does not change the buffer's position. Any byte order / heap or direct
     * buffer works; a native-order direct buffer (e.g. DJL's {@code toByteBuffer().asFloatBuffer()}) is fastest.
     */
    FloatBuffer data(TensorSpec spec) throws IOException;

    /** Called after the tensor's data has been written (e.g. to close the array it came from). Default: nothing. */
    default void written(TensorSpec spec) {
    }

    /** A source over in-memory arrays keyed by tensor name. */
    static TensorDataSource ofArrays(Map<String, float[]> arrays) {
        return spec -> {
            float[] a = arrays.get(spec.name());
            return a == null ? null : FloatBuffer.wrap(a);
        };
    }
}
