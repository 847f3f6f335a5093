package dev.groupflow.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LogitsSamplerTest {
    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    /** Draws one token from log-probabilities {@code logp} (one row) for each uniform u. */
    private static long[] draw(double[] logp, SamplingParams p, float... us) {
        float[] logits = new float[us.length * logp.length];
        for (int i = 0; i < us.length; i++) {
            for (int j = 0; j < logp.length; j++) {
                logits[i * logp.length + j] = (float) logp[j];
            }
        }
        NDList out = LogitsSampler.sample(manager.create(logits, new Shape(us.length, logp.length)),
                manager.create(us, new Shape(us.length, 1)), p);
        return out.get(0).toLongArray();
    }

    private static double[] logs(double... probs) {
        double[] out = new double[probs.length];
        for (int i = 0; i < probs.length; i++) {
            out[i] = Math.log(probs[i]);
        }
        return out;
    }

    private static SamplingParams params(double temperature, int topK, double topP, double minP) {
        return new SamplingParams(temperature, topK, topP, minP, 8, List.of());
    }

    @Test
    void inverseCdfPicksTheTokenWhoseIntervalHoldsU() {
        long[] picks = draw(logs(0.5, 0.3, 0.2), params(1, 0, 1, 0), 0.01f, 0.49f, 0.51f, 0.79f, 0.81f, 0.99f);
        assertEquals(List.of(0L, 0L, 1L, 1L, 2L, 2L), toList(picks));
    }

    @Test
    void topKNeverLeavesTheKMostLikely() {
        double[] logp = logs(0.05, 0.4, 0.05, 0.3, 0.2);
        float[] us = grid(200);
        for (long t : draw(logp, params(1, 2, 1, 0), us)) {
            assertTrue(t == 1 || t == 3, "picked " + t);
        }
        // renormalised over the two kept tokens: 0.4 / 0.7 of the mass goes to token 1
        long ones = Arrays.stream(draw(logp, params(1, 2, 1, 0), us)).filter(t -> t == 1).count();
        assertEquals(0.4 / 0.7, ones / 200.0, 0.01);
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        double[] logp = logs(0.5, 0.3, 0.15, 0.05);
        for (long t : draw(logp, params(1, 0, 0.8, 0), grid(200))) {
            assertTrue(t == 0 || t == 1, "picked " + t); // mass before token 2 is 0.8: not below p, dropped
        }
        long[] wider = draw(logp, params(1, 0, 0.81, 0), grid(400));
        assertTrue(Arrays.stream(wider).anyMatch(t -> t == 2), "p = 0.81 needs token 2");
        assertTrue(Arrays.stream(wider).noneMatch(t -> t == 3));
    }

    @Test
    void minPDropsTokensBelowTheFractionOfTheTop() {
        for (long t : draw(logs(0.6, 0.3, 0.1), params(1, 0, 1, 0.2), grid(200))) {
            assertTrue(t != 2, "0.1 < 0.2 × 0.6 must be dropped");
        }
    }

    @Test
    void temperatureSharpensTheDistribution() {
        // at T = 0.5, p ∝ p^2: (0.75, 0.25) → (0.9, 0.1)
        long zeros = Arrays.stream(draw(logs(0.75, 0.25), params(0.5, 0, 1, 0), grid(1000)))
                .filter(t -> t == 0).count();
        assertEquals(0.9, zeros / 1000.0, 0.002);
    }

    @Test
    void reportedLogprobIsUntruncatedTemperedDistribution() {
        double[] logp = logs(0.6, 0.3, 0.1);
        float[] logits = new float[3];
        for (int j = 0; j < 3; j++) {
            logits[j] = (float) logp[j];
        }
        NDList out = LogitsSampler.sample(manager.create(logits, new Shape(1, 3)),
                manager.create(new float[] {0.5f}, new Shape(1, 1)), params(2.0, 1, 1, 0));
        assertEquals(0L, out.get(0).toLongArray()[0]);
        // top-k = 1 leaves one token with probability 1, but the recorded log-prob is log softmax(logits / 2)
        double z = Math.sqrt(0.6) + Math.sqrt(0.3) + Math.sqrt(0.1);
        assertEquals(Math.log(Math.sqrt(0.6) / z), out.get(1).toFloatArray()[0], 1e-6);
    }

    @Test
    void greedyTakesArgmaxWithUntemperedLogprob() {
        NDList out = LogitsSampler.sample(manager.create(new float[] {1f, 3f, 2f, 3.5f, 0f, 0f}, new Shape(2, 3)),
                null, SamplingParams.greedy(4));
        assertEquals(List.of(1L, 0L), toList(out.get(0).toLongArray()));
        double z = Math.exp(1) + Math.exp(3) + Math.exp(2);
        assertEquals(3 - Math.log(z), out.get(1).toFloatArray()[0], 1e-6);
    }

    private static float[] grid(int n) {
        float[] us = new float[n];
        for (int i = 0; i < n; i++) {
            us[i] = (i + 0.5f) / n;
        }
        return us;
    }

    private static List<Long> toList(long[] a) {
        return Arrays.stream(a).boxed().toList();
    }
}
