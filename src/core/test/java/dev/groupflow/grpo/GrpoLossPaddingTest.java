package dev.groupflow.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Padding positions can hold log-probabilities of -inf (the pad token is one the policy never generates). They are
 * outside the mask, so the loss and its gradient must be exactly those of the same batch with finite padding: a
 * regression, once every step with a KL penalty (or sequence-level ratios) was NaN and skipped.
 */
class GrpoLossPaddingTest {
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    @Test
    void minusInfinityUnderTheMaskChangesNothing() {
        for (RatioLevel level : RatioLevel.values()) {
            for (Aggregation aggregation : Aggregation.values()) {
                GrpoLoss.Settings s = new GrpoLoss.Settings(aggregation, level, 0.2, 0.28, 0.1, 0.0, 3);
                double[] finite = lossAndGrad(s, 0f);
                double[] infinite = lossAndGrad(s, NEG_INF);
                for (double v : infinite) {
                    assertTrue(Double.isFinite(v), level + " " + aggregation + ": " + Arrays.toString(infinite));
                }
                assertArrayEquals(finite, infinite, 0.0, level + " " + aggregation);
                assertEquals(0.0, infinite[1 + 2], 0.0, "no gradient to a padding position");
            }
        }
    }

    /** {loss, d loss / d cur...} for a batch of two sequences, the first of length 2 padded with {@code pad}. */
    private static double[] lossAndGrad(GrpoLoss.Settings s, float pad) {
        try (NDManager m = NDManager.newBaseManager();
             GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            Shape shape = new Shape(2, 3);
            NDArray cur = m.create(new float[] {-1.2f, -0.7f, pad, -0.4f, -2.0f, -0.9f}, shape);
            cur.setRequiresGradient(true);
            NDArray old = m.create(new float[] {-1.0f, -0.9f, pad, -0.5f, -1.8f, -1.1f}, shape);
            NDArray ref = m.create(new float[] {-1.1f, -0.8f, pad, -0.6f, -1.9f, -1.0f}, shape);
            NDArray mask = m.create(new float[] {1, 1, 0, 1, 1, 1}, shape);
            NDArray advantages = m.create(new float[] {0.7f, -0.7f});
            GrpoLoss.Output out = GrpoLoss.compute(cur, old, ref, mask, advantages, s, new GrpoLoss.Normaliser(2, 5));
            gc.backward(out.loss());
            double[] grad = cur.getGradient().toType(DataType.FLOAT64, false).toDoubleArray();
            double[] all = new double[1 + grad.length];
            all[0] = out.loss().toType(DataType.FLOAT64, false).getDouble();
            System.arraycopy(grad, 0, all, 1, grad.length);
            assertTrue(Double.isFinite(out.kl().sum().toType(DataType.FLOAT64, false).getDouble()));
            return all;
        }
    }
}
