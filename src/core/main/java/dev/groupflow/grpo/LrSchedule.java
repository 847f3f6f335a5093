package dev.groupflow.grpo;

/**
 * Learning rate per optimizer update u (counted from 0).
 *
 * <ul>
 *   <li>{@code constant}: lr.</li>
 *   <li>{@code warmup}: lr · min(1, (u + 1) / warmup), then constant.</li>
 *   <li>{@code cosine}: the warmup, then lr · (m + (1 − m) · ½(1 + cos(π p))) with p the fraction of the
 *       remaining updates done (up to {@code total}) and m = {@code minRatio}.</li>
 * </ul>
 */
public record LrSchedule(Kind kind, double lr, int warmup, long total, double minRatio) {

    public enum Kind {
        CONSTANT, WARMUP, COSINE
    }

    public static LrSchedule constant(double lr) {
        return new LrSchedule(Kind.CONSTANT, lr, 0, 0, 0);
    }

    public double at(long update) {
        if (kind == Kind.CONSTANT) {
            return lr;
        }
        if (warmup > 0 && update < warmup) {
            return lr * (update + 1) / warmup;
        }
        if (kind == Kind.WARMUP || total <= warmup) {
            return lr;
        }
        double p = Math.min(1.0, (double) (update - warmup) / Math.max(1, total - warmup));
        return lr * (minRatio + (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * p)));
    }
}
