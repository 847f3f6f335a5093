package dev.groupflow.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/**
 * Truncated importance sampling ({@code grpo.is-cap}): a stale sample's ratio counts at most {@code cap} in value,
 * and where it is truncated its gradient is scaled by cap / ratio instead of cut off; ratios below the cap are
 * untouched. With a negative advantage the PPO clip does not bound a large ratio, so only the cap does.
 */
class ImportanceCapTest {
    private static final double A = -0.5;

    /** {loss, d loss / d cur} for one token with ratio exp(logRatio) and advantage A, token-mean over 1 token. */
    private static double[] lossAndGrad(double logRatio, double cap) {
        try (NDManager m = NDManager.newBaseManager();
             GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray cur = m.create(new double[] {-1.0 + logRatio}, new Shape(1, 1));
            cur.setRequiresGradient(true);
            NDArray old = m.create(new double[] {-1.0}, new Shape(1, 1));
            NDArray mask = m.create(new double[] {1}, new Shape(1, 1));
            GrpoLoss.Settings s = new GrpoLoss.Settings(Aggregation.TOKEN_MEAN, RatioLevel.TOKEN, 0.2, 0.28, 0.0, cap, 1);
            GrpoLoss.Output out = GrpoLoss.compute(cur, old, null, mask, m.create(new double[] {A}), s,
                    new GrpoLoss.Normaliser(1, 1));
            gc.backward(out.loss());
            return new double[] {out.loss().getDouble(), cur.getGradient().toType(DataType.FLOAT64, false).getDouble()};
        }
    }

    @Test
    void aRatioAboveTheCapCountsAsTheCapWithAScaledGradient() {
        double ratio = 3.0;
        double[] uncapped = lossAndGrad(Math.log(ratio), 0);
        // loss = −ratio · A, d loss / d cur = −A · ratio
        assertEquals(-ratio * A, uncapped[0], 1e-12);
        assertEquals(-A * ratio, uncapped[1], 1e-12);
        double[] capped = lossAndGrad(Math.log(ratio), 2.0);
        assertEquals(-2.0 * A, capped[0], 1e-12, "the value is min(ratio, cap)");
        assertEquals(-A * 2.0, capped[1], 1e-12, "the gradient is ratio's, scaled by cap / ratio");
    }

    @Test
    void aRatioBelowTheCapIsUntouched() {
        double ratio = 1.5;
        double[] uncapped = lossAndGrad(Math.log(ratio), 0);
        double[] capped = lossAndGrad(Math.log(ratio), 2.0);
        assertEquals(uncapped[0], capped[0], 1e-15);
        assertEquals(uncapped[1], capped[1], 1e-15);
        assertEquals(-ratio * A, capped[0], 1e-12);
    }
}
