package dev.groupflow.metrics;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * pass@k, the chance that at least one of k completions of a prompt is correct, estimated without bias from n ≥ k
 * completions of which c are correct (Chen et al. 2021, "Evaluating Large Language Models Trained on Code"):
 * {@code 1 − C(n−c, k) / C(n, k)}, computed as the product {@code 1 − Π_{i=n−c+1..n} (1 − k/i)} so that no
 * binomial coefficient is ever formed. A set of prompts reports the mean over prompts, with a 95% percentile
 * bootstrap interval over prompts (resampled with a fixed seed, so it is reproducible).
 */
public final class PassAtK {
    /** Bootstrap resamples of the prompts. */
    public static final int RESAMPLES = 1000;

    private PassAtK() {
    }

    /** pass@k of one prompt with n completions, c of them correct (0 ≤ c ≤ n, 1 ≤ k ≤ n). */
    public static double estimate(int n, int c, int k) {
        if (k < 1 || k > n || c < 0 || c > n) {
            throw new IllegalArgumentException("pass@k needs 1 <= k <= n and 0 <= c <= n, got n=" + n + " c=" + c
                    + " k=" + k);
        }
        if (n - c < k) {
            return 1.0;
        }
        double allWrong = 1.0;
        for (int i = n - c + 1; i <= n; i++) {
            allWrong *= 1.0 - (double) k / i;
        }
        return 1.0 - allWrong;
    }

    /** Per-prompt pass@k for prompts with n[i] completions of which c[i] are correct. */
    public static double[] perPrompt(int[] n, int[] c, int k) {
        double[] out = new double[n.length];
        for (int i = 0; i < n.length; i++) {
            out[i] = estimate(n[i], c[i], k);
        }
        return out;
    }

    public static double mean(double[] values) {
        return Arrays.stream(values).average().orElse(Double.NaN);
    }

    /** A confidence interval. */
    public record Interval(double low, double high) {
        public double[] toArray() {
            return new double[] {low, high};
        }
    }

    /**
     * The 95% percentile bootstrap interval of the mean of {@code values}: the values are resampled with replacement
     * {@link #RESAMPLES} times (a {@link SplittableRandom} seeded with {@code seed}), and the 2.5th and 97.5th
     * percentiles of the resampled means (linear interpolation) bound it. Null without values.
     */
    public static Interval bootstrap(double[] values, long seed) {
        if (values.length == 0) {
            return null;
        }
        SplittableRandom random = new SplittableRandom(seed);
        double[] means = new double[RESAMPLES];
        for (int r = 0; r < RESAMPLES; r++) {
            double sum = 0;
            for (int i = 0; i < values.length; i++) {
                sum += values[random.nextInt(values.length)];
            }
            means[r] = sum / values.length;
        }
        Arrays.sort(means);
        return new Interval(percentile(means, 0.025), percentile(means, 0.975));
    }

    /** The p-quantile of sorted values, interpolating linearly between ranks. */
    static double percentile(double[] sorted, double p) {
        double h = p * (sorted.length - 1);
        int lo = (int) Math.floor(h);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }
}
