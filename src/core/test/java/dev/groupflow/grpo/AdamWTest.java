package dev.groupflow.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdamWTest {
    private static final double B1 = 0.9;
    private static final double B2 = 0.99;
    private static final double EPS = 1e-3;
    private static final double WD = 0.1;

    private static Parameter parameter(NDManager m, String name, Parameter.Type type, float[] values) {
        Parameter p = Parameter.builder().setName(name).setType(type).build();
        NDArray a = m.create(values);
        a.setRequiresGradient(true);
        p.setArray(a);
        return p;
    }

    /** Gives every parameter the gradient {@code g} (loss = Σ g · w). */
    private static void gradient(Map<String, Parameter> params, float[] g) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss = null;
            for (Parameter p : params.values()) {
                NDArray term = p.getArray().mul(p.getArray().getManager().create(g)).sum();
                loss = loss == null ? term : loss.add(term);
            }
            gc.backward(loss);
        }
    }

    @Test
    void updateMatchesAHandComputedAdamW() {
        try (NDManager m = NDManager.newBaseManager(); AdamW adamw = new AdamW(m, B1, B2, EPS, WD)) {
            float[] w0 = {0.5f, -1.0f, 2.0f};
            Map<String, Parameter> params = new LinkedHashMap<>();
            params.put("w", parameter(m, "w", Parameter.Type.WEIGHT, w0));
            params.put("g", parameter(m, "g", Parameter.Type.GAMMA, w0));
            float[][] grads = {{0.3f, -0.2f, 0.0f}, {-0.1f, 0.4f, 1.5f}};
            double[] lrs = {0.01, 0.02};
            double[] w = {0.5, -1.0, 2.0};
            double[] gamma = w.clone();
            double[] mw = new double[3];
            double[] vw = new double[3];
            double[] mg = new double[3];
            double[] vg = new double[3];
            for (int t = 1; t <= 2; t++) {
                gradient(params, grads[t - 1]);
                adamw.step(params, lrs[t - 1]);
                AdamW.zeroGradients(params);
                hand(w, mw, vw, grads[t - 1], lrs[t - 1], t, WD);
                hand(gamma, mg, vg, grads[t - 1], lrs[t - 1], t, 0); // norms are not decayed
            }
            assertArrayEquals(w, toDouble(params.get("w").getArray().toFloatArray()), 1e-6);
            assertArrayEquals(gamma, toDouble(params.get("g").getArray().toFloatArray()), 1e-6);
            assertEquals(2, adamw.stepCount());
        }
    }

    /** AdamW, written out with doubles. */
    private static void hand(double[] w, double[] mom, double[] vel, float[] g, double lr, int t, double wd) {
        for (int i = 0; i < w.length; i++) {
            w[i] *= 1 - lr * wd;
            mom[i] = B1 * mom[i] + (1 - B1) * g[i];
            vel[i] = B2 * vel[i] + (1 - B2) * g[i] * g[i];
            double mHat = mom[i] / (1 - Math.pow(B1, t));
            double vHat = vel[i] / (1 - Math.pow(B2, t));
            w[i] -= lr * mHat / (Math.sqrt(vHat) + EPS);
        }
    }

    /** A parameter updated a few elements at a time (as embeddings are) gets exactly the whole-tensor update. */
    @Test
    void chunkedUpdateOfALargeParameterIsTheWholeUpdateBitForBit() {
        float[] w0 = new float[23];
        for (int i = 0; i < w0.length; i++) {
            w0[i] = (float) Math.sin(i) * 2;
        }
        try (NDManager m = NDManager.newBaseManager();
             AdamW whole = new AdamW(m, B1, B2, EPS, WD);
             AdamW chunked = new AdamW(m, B1, B2, EPS, WD, 5)) {
            Map<String, Parameter> a = Map.of("w", parameter(m, "w", Parameter.Type.WEIGHT, w0));
            Map<String, Parameter> b = Map.of("w", parameter(m, "w", Parameter.Type.WEIGHT, w0));
            for (int t = 0; t < 3; t++) {
                float[] g = new float[w0.length];
                for (int i = 0; i < g.length; i++) {
                    g[i] = (float) Math.cos(i * (t + 1)) - 0.2f * t;
                }
                gradient(a, g);
                gradient(b, g);
                whole.step(a, 0.05);
                chunked.step(b, 0.05);
                AdamW.zeroGradients(a);
                AdamW.zeroGradients(b);
            }
            float[] wa = a.get("w").getArray().toFloatArray();
            assertFalse(Arrays.equals(w0, wa), "the updates must move the weights");
            assertArrayEquals(wa, b.get("w").getArray().toFloatArray(), 0f);
            assertArrayEquals(whole.exportState().expAvgSq().get("w"), chunked.exportState().expAvgSq().get("w"), 0f);
        }
    }

    @Test
    void exportedStateImportsExactly() {
        try (NDManager m = NDManager.newBaseManager();
             AdamW a = new AdamW(m, B1, B2, EPS, WD);
             AdamW b = new AdamW(m, B1, B2, EPS, WD)) {
            Map<String, Parameter> pa = Map.of("w", parameter(m, "w", Parameter.Type.WEIGHT, new float[] {1, 2, 3}));
            for (int i = 0; i < 3; i++) {
                gradient(pa, new float[] {0.1f * i, -0.3f, 0.7f});
                a.step(pa, 0.01);
                AdamW.zeroGradients(pa);
            }
            Map<String, Parameter> pb = Map.of("w", parameter(m, "w", Parameter.Type.WEIGHT,
                    pa.get("w").getArray().toFloatArray()));
            AdamW.State state = a.exportState();
            b.importState(state, pb);
            AdamW.State again = b.exportState();
            assertEquals(state.step(), again.step());
            assertArrayEquals(state.expAvg().get("w"), again.expAvg().get("w"));
            assertArrayEquals(state.expAvgSq().get("w"), again.expAvgSq().get("w"));
            // and the next update is identical, bit for bit
            gradient(pa, new float[] {0.5f, 0.5f, -0.5f});
            gradient(pb, new float[] {0.5f, 0.5f, -0.5f});
            a.step(pa, 0.01);
            b.step(pb, 0.01);
            assertArrayEquals(pa.get("w").getArray().toFloatArray(), pb.get("w").getArray().toFloatArray(), 0f);
        }
    }

    @Test
    void globalNormClippingScalesAllGradientsTogether() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, Parameter> params = new LinkedHashMap<>();
            params.put("a", parameter(m, "a", Parameter.Type.WEIGHT, new float[] {0, 0}));
            params.put("b", parameter(m, "b", Parameter.Type.WEIGHT, new float[] {0, 0}));
            gradient(params, new float[] {3, -4}); // each has norm 5: global norm sqrt(50)
            double norm = GradientClipping.clip(params.values(), 1.0);
            assertEquals(Math.sqrt(50), norm, 1e-5);
            assertEquals(1.0, GradientClipping.globalNorm(params.values()), 1e-5);
            float[] g = params.get("a").getArray().getGradient().toFloatArray();
            assertEquals(-4.0 / 3.0, g[1] / g[0], 1e-6); // direction kept, negative side clipped too
        }
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
