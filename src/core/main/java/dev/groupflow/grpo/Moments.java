package dev.groupflow.grpo;

import ai.djl.ndarray.NDArray;
import dev.groupflow.model.NativeArrays;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW's first and second moments by parameter name, read one tensor at a time: the live tensors of an optimizer,
 * an optimizer file of a checkpoint, or host arrays. Together the moments of a real-size model are twice its
 * weights (8 bytes per trained parameter), so nothing here ever holds all of them in Java memory at once.
 */
public interface Moments {

    /** Parameter names, in the optimizer's order. */
    List<String> names();

    /** Number of elements of a parameter's moments. */
    long size(String name);

    /**
     * The floats of a parameter's first moment m ({@code second = false}) or second moment v: a view of live
     * memory or a host copy, valid until the optimizer's next step.
     */
    FloatBuffer floats(String name, boolean second);

    /** Writes m or v into a float32 tensor of the parameter's shape, in its own memory. */
    default void copyInto(String name, boolean second, NDArray target) {
        FloatBuffer source = floats(name, second);
        NativeArrays.fill(target, (first, count, dst) -> dst.asFloatBuffer().put(source.duplicate()
                .position((int) first).limit((int) first + count)));
    }

    /** Host copies of every first (or second) moment: for tests and small models only. */
    default Map<String, float[]> toArrays(boolean second) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (String name : names()) {
            FloatBuffer b = floats(name, second).duplicate();
            float[] a = new float[b.remaining()];
            b.get(a);
            out.put(name, a);
        }
        return out;
    }

    /** Moments whose names and sizes are known up front; subclasses say where the values are. */
    abstract class Listed implements Moments {
        private final Map<String, Long> sizes;

        /** @param sizes elements of each parameter's moments, in the optimizer's order */
        protected Listed(Map<String, Long> sizes) {
            this.sizes = new LinkedHashMap<>(sizes);
        }

        @Override
        public List<String> names() {
            return List.copyOf(sizes.keySet());
        }

        @Override
        public long size(String name) {
            Long n = sizes.get(name);
            if (n == null) {
                throw new IllegalArgumentException("no moments of " + name);
            }
            return n;
        }
    }

    /** Moments held in host arrays (m and v with the same names). */
    static Moments of(Map<String, float[]> expAvg, Map<String, float[]> expAvgSq) {
        Map<String, Long> sizes = new LinkedHashMap<>();
        expAvg.forEach((k, a) -> sizes.put(k, (long) a.length));
        return new Listed(sizes) {
            @Override
            public FloatBuffer floats(String name, boolean second) {
                float[] a = (second ? expAvgSq : expAvg).get(name);
                if (a == null) {
                    throw new IllegalArgumentException("no " + (second ? "second" : "first") + " moment of " + name);
                }
                return FloatBuffer.wrap(a);
            }
        };
    }
}
