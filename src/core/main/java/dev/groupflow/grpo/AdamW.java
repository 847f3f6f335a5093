package dev.groupflow.grpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.groupflow.model.NativeArrays;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW (Loshchilov &amp; Hutter, decoupled weight decay) over NDArrays, with state we own so a checkpoint can
 * hold it. For each parameter w with gradient g, at step t (from 1), learning rate lr:
 *
 * <pre>
 *   w ← w · (1 − lr · weight_decay)            (only parameters of type WEIGHT: not norms, not biases)
 *   m ← β1 · m + (1 − β1) · g
 *   v ← β2 · v + (1 − β2) · g²
 *   w ← w − (lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + ε)
 * </pre>
 *
 * which is PyTorch's {@code torch.optim.AdamW} (single-tensor path) term for term. The update runs with grad
 * mode off and leaves gradients untouched (call {@link #zeroGradients}).
 */
public final class AdamW implements AutoCloseable {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final NDManager manager;
    /** Elements updated at a time (16 MiB of floats): the most any update temporary holds. */
    static final long CHUNK = 1 << 22;
    private final long chunk;
    private final Map<String, NDArray> expAvg = new LinkedHashMap<>();    // m per parameter
    private final Map<String, NDArray> expAvgSq = new LinkedHashMap<>();  // v per parameter
    private long step;

    /**
     * The optimizer's state: its step count and the moments m, v of every parameter, by name. The moments are read a
     * tensor at a time ({@link Moments}): a checkpoint streams them from the optimizer's own memory to disk and a
     * resume back, never holding them all in Java memory.
     */
    public record State(long step, Moments moments) {

        /** A state over host arrays (m and v by parameter name, row-major). */
        public State(long step, Map<String, float[]> expAvg, Map<String, float[]> expAvgSq) {
            this(step, Moments.of(expAvg, expAvgSq));
        }

        /** Host copies of the first moments (small models and tests). */
        public Map<String, float[]> expAvg() {
            return moments.toArrays(false);
        }

        /** Host copies of the second moments (small models and tests). */
        public Map<String, float[]> expAvgSq() {
            return moments.toArrays(true);
        }
    }

    public AdamW(NDManager parent, double beta1, double beta2, double eps, double weightDecay) {
        this(parent, beta1, beta2, eps, weightDecay, CHUNK);
    }

    /** With parameters above {@code chunk} elements updated that many at a time. */
    AdamW(NDManager parent, double beta1, double beta2, double eps, double weightDecay, long chunk) {
        this.chunk = chunk;
        this.manager = parent.newSubManager();
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    /** Steps taken so far. */
    public long stepCount() {
        return step;
    }

    /** Applies one update to every parameter that has a gradient. */
    public void step(Map<String, Parameter> parameters, double lr) {
        step++;
        double bias1 = 1 - Math.pow(beta1, step);
        double bias2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
        float stepSize = (float) (lr / bias1);
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
                NDArray w = e.getValue().getArray();
                try (NDScope ignored = new NDScope()) {
                    NDArray g = w.getGradient();
                    NDArray m = state(expAvg, e.getKey(), w.getShape());
                    NDArray v = state(expAvgSq, e.getKey(), w.getShape());
                    boolean decay = weightDecay != 0 && e.getValue().getType() == Parameter.Type.WEIGHT;
                    long n = w.size();
                    if (n <= chunk) {
                        update(w, g, m, v, lr, decay, bias2Sqrt, stepSize);
                        continue;
                    }
                    // a large parameter (an embedding) a chunk at a time: the update is elementwise, so the same
                    // numbers, with temporaries of one chunk instead of the whole tensor
                    NDArray wf = w.reshape(-1);
                    NDArray gf = g.reshape(-1);
                    NDArray mf = m.reshape(-1);
                    NDArray vf = v.reshape(-1);
                    for (long from = 0; from < n; from += chunk) {
                        String range = from + ":" + Math.min(n, from + chunk);
                        try (NDScope chunk = new NDScope()) {
                            update(wf.get(range), gf.get(range), mf.get(range), vf.get(range), lr, decay, bias2Sqrt,
                                    stepSize);
                        }
                    }
                }
            }
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    /** One update of w (and m, v) in place, each temporary freed as soon as it is used. */
    private void update(NDArray w, NDArray g, NDArray m, NDArray v, double lr, boolean decay, double bias2Sqrt,
                        float stepSize) {
        if (decay) {
            w.muli((float) (1 - lr * weightDecay));
        }
        try (NDArray scaled = g.mul((float) (1 - beta1))) {
            m.muli((float) beta1).addi(scaled);
        }
        try (NDArray squared = g.square()) {
            v.muli((float) beta2).addi(squared.muli((float) (1 - beta2)));
        }
        try (NDArray denom = v.sqrt()) {
            denom.divi((float) bias2Sqrt).addi((float) eps);
            try (NDArray update = m.div(denom)) {
                w.subi(update.muli(stepSize));
            }
        }
    }

    private NDArray state(Map<String, NDArray> map, String name, Shape shape) {
        NDArray s = map.get(name);
        if (s == null) {
            s = manager.zeros(shape, DataType.FLOAT32);
            NDScope.unregister(s);
            map.put(name, s);
        }
        return s;
    }

    /** Sets every parameter's gradient to zero (gradients accumulate across backward passes until then). */
    public static void zeroGradients(Map<String, Parameter> parameters) {
        try (NDScope ignored = new NDScope()) {
            for (Parameter p : parameters.values()) {
                NDArray w = p.getArray();
                if (w.hasGradient()) {
                    JniUtils.zeroGrad((PtNDArray) w);
                }
            }
        }
    }

    /** A host copy of the state (exact: the floats themselves); for tests and small models. */
    public State exportState() {
        Map<String, float[]> m = new LinkedHashMap<>();
        Map<String, float[]> v = new LinkedHashMap<>();
        expAvg.forEach((k, a) -> m.put(k, a.toFloatArray()));
        expAvgSq.forEach((k, a) -> v.put(k, a.toFloatArray()));
        return new State(step, m, v);
    }

    /**
     * The state as views of the optimizer's own memory (nothing copied): what a checkpoint writes. Valid until the
     * next {@link #step}, on the thread that steps.
     */
    public State view() {
        Map<String, Long> sizes = new LinkedHashMap<>();
        expAvg.forEach((k, a) -> sizes.put(k, a.size()));
        return new State(step, new Moments.Listed(sizes) {
            @Override
            public FloatBuffer floats(String name, boolean second) {
                return NativeArrays.view((second ? expAvgSq : expAvg).get(name));
            }

            @Override
            public void copyInto(String name, boolean second, NDArray target) {
                NativeArrays.copy((second ? expAvgSq : expAvg).get(name), target);
            }
        });
    }

    /** Replaces the state with an exported one (written into native tensors a chunk at a time); shapes come from the parameters. */
    public void importState(State state, Map<String, Parameter> parameters) {
        for (NDArray a : expAvg.values()) {
            a.close();
        }
        for (NDArray a : expAvgSq.values()) {
            a.close();
        }
        expAvg.clear();
        expAvgSq.clear();
        Moments moments = state.moments();
        for (String name : moments.names()) {
            Parameter p = parameters.get(name);
            if (p == null) {
                throw new IllegalArgumentException("optimizer state names unknown parameter " + name);
            }
            Shape shape = p.getArray().getShape();
            if (moments.size(name) != shape.size()) {
                throw new IllegalArgumentException("optimizer state of " + name + " does not match shape " + shape);
            }
            NDArray m = NativeArrays.empty(manager, shape);
            NDArray v = NativeArrays.empty(manager, shape);
            NDScope.unregister(m, v);
            expAvg.put(name, m);
            expAvgSq.put(name, v);
            moments.copyInto(name, false, m);
            moments.copyInto(name, true, v);
        }
        this.step = state.step();
    }

    @Override
    public void close() {
        manager.close();
    }
}
