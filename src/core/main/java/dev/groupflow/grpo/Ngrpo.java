package dev.groupflow.grpo;

/**
 * NGRPO's advantage for one group (Negative-enhanced GRPO, arXiv 2509.18851; the authors' code
 * {@code verl/trainer/ppo/core_algos.py}): K virtual samples of reward r_max join the group's mean and unbiased std,
 * and only those statistics; they are never trained on.
 *
 * <pre>
 *   μ′ = (Σ_i r_i + K · r_max) / (G + K)
 *   σ′ = unbiased std of the G + K values
 *   A_i = (r_i − μ′) / (σ′ + ε)          for the G real members only
 * </pre>
 *
 * <p>An all-wrong group now carries signal (A = −1/√(G+1) for binary rewards and K = 1) instead of none; an
 * all-correct group gets μ′ = r_max, σ′ = 0 and so A = 0. A group of one falls back to mean 0 and std 1 without a
 * virtual sample, as the authors' code does. A member whose reward is missing ({@code null}: its verifier failed or
 * timed out) is left out of every statistic and gets A = 0, so a failure is never scored; the group's size G counts
 * scored members only.
 *
 * <p>It works on one group's rewards, the shape of the per-group advantages: a run computes each group with
 * {@link #advantages} where GRPO would compute {@code (r − mean) / (std + 1e-4)}.
 *
 * @param virtualCount K ≥ 1, virtual samples per group ({@code grpo.ngrpo.virtual-count}, default 1)
 * @param virtualReward r_max, their reward ({@code grpo.ngrpo.virtual-reward}, default 1.0: the best reward)
 * @param stdEps ε added to σ′ (the authors use 1e-6)
 */
public record Ngrpo(int virtualCount, double virtualReward, double stdEps) {
    /** The authors' ε. */
    public static final double EPS = 1e-6;
    /** K = 1, r_max = 1, ε = 1e-6: the paper's and the recipe's values. */
    public static final Ngrpo DEFAULT = new Ngrpo(1, 1.0, EPS);

    public Ngrpo {
        if (virtualCount < 1) {
            throw new IllegalArgumentException("NGRPO needs at least one virtual sample, got " + virtualCount);
        }
        if (!Double.isFinite(virtualReward)) {
            throw new IllegalArgumentException("the virtual reward must be finite, got " + virtualReward);
        }
        if (!(stdEps >= 0)) {
            throw new IllegalArgumentException("the std epsilon must be >= 0, got " + stdEps);
        }
    }

    /**
     * @param rewards one group's rewards in member order; null = missing
     * @return one advantage per member (0 for a missing reward)
     */
    public double[] advantages(Double[] rewards) {
        double[] adv = new double[rewards.length];
        int n = 0;
        double sum = 0;
        for (Double r : rewards) {
            if (r != null) {
                sum += r;
                n++;
            }
        }
        if (n == 0) {
            return adv;
        }
        double mean;
        double std;
        if (n == 1) {
            mean = 0;
            std = 1;
        } else {
            int total = n + virtualCount;
            mean = (sum + virtualCount * virtualReward) / total;
            double ss = virtualCount * (virtualReward - mean) * (virtualReward - mean);
            for (Double r : rewards) {
                if (r != null) {
                    ss += (r - mean) * (r - mean);
                }
            }
            std = Math.sqrt(ss / (total - 1));
        }
        for (int i = 0; i < rewards.length; i++) {
            if (rewards[i] != null) {
                adv[i] = (rewards[i] - mean) / (std + stdEps);
            }
        }
        return adv;
    }

    /**
     * Whether every advantage of the group is 0, so it teaches nothing under NGRPO: no scored member; two or more
     * whose rewards all equal r_max (the all-correct group, which the NGRPO recipe's filter drops:
     * {@code filter_groups.strategy = all_correct}); or a single scored member with reward 0. An all-wrong group
     * of two or more does carry signal.
     */
    public boolean zeroSignal(Double[] rewards) {
        int n = 0;
        boolean allMax = true;
        double only = 0;
        for (Double r : rewards) {
            if (r != null) {
                n++;
                allMax &= r == virtualReward;
                only = r;
            }
        }
        return n == 0 || (n == 1 ? only == 0 : allMax);
    }
}
