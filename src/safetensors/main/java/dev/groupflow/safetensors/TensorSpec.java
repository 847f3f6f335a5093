package dev.groupflow.safetensors;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * A tensor to be written: name, shape (outermost dimension first, row-major) and optionally the dtype to store it
 * in (otherwise the writer's default). The data itself is supplied later, one tensor at a time, by a
 * {@link TensorDataSource}. Immutable.
 */
public final class TensorSpec {

    private final String name;
    private final long[] shape;
    private final Dtype dtype;

    /**
     * @param dtype storage dtype (F32, F16 or BF16), or null for the writer's default
     * @throws IllegalArgumentException for a negative dimension or an unsupported dtype
     */
    public TensorSpec(String name, long[] shape, Dtype dtype) {
        this.name = Objects.requireNonNull(name, "name");
        this.shape = Objects.requireNonNull(shape, "shape").clone();
        for (long d : this.shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': negative dimension in shape "
                        + Arrays.toString(shape));
            }
        }
        if (dtype != null) {
            SafetensorsWriter.checkWritable(dtype);
        }
        this.dtype = dtype;
    }

    /** A tensor stored in the writer's default dtype. */
    public static TensorSpec of(String name, long... shape) {
        return new TensorSpec(name, shape, null);
    }

    public String name() {
        return name;
    }

    /** The shape (a copy). */
    public long[] shape() {
        return shape.clone();
    }

    /** The storage dtype, if set for this tensor. */
    public Optional<Dtype> dtype() {
        return Optional.ofNullable(dtype);
    }

    /** Product of the shape; {@link ArithmeticException} if it overflows a long. */
    public long numElements() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TensorSpec)) {
            return false;
        }
        TensorSpec t = (TensorSpec) o;
        return name.equals(t.name) && Arrays.equals(shape, t.shape) && dtype == t.dtype;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(shape), dtype);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + (dtype == null ? "" : " " + dtype);
    }
}
