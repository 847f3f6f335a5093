package dev.groupflow.grpo;

/**
 * Group-relative advantages. For a group of G completions of one prompt with rewards r_i,
 * {@code A_i = r_i − mean(r)}, then divided by {@code std + 1e-4} where std is the unbiased (Bessel) standard
 * deviation of the group ({@link AdvantageScale#GROUP}) or of the whole batch ({@link AdvantageScale#BATCH}),
 * or not divided ({@link AdvantageScale#NONE}).
 *
 * <p>A member whose reward is missing (its verifier failed or timed out: {@code null}) is left out of every
 * statistic and gets advantage 0, so a failure is never scored as reward 0. A group whose scored members all
 * have the same reward (or that has fewer than two scored members) gets exactly 0 for everyone.
 */
public final class Advantages {
    /** Added to the std before dividing, as TRL. */
    public static final double EPS = 1e-4;

    private Advantages() {
    }

    /**
     * @param advantages one per member, in input order
     * @param zeroStdGroups groups with no spread among their scored rewards (their advantages are all 0)
     * @param groups number of groups
     * @param missing members without a reward
     */
    public record Result(double[] advantages, int zeroStdGroups, int groups, int missing) {
        public double zeroStdFraction() {
            return groups == 0 ? 0 : (double) zeroStdGroups / groups;
        }
    }

    /** @param rewards B = groups × groupSize rewards, group by group; null = missing */
    public static Result compute(Double[] rewards, int groupSize, AdvantageScale scale) {
        if (groupSize < 1 || rewards.length % groupSize != 0) {
            throw new IllegalArgumentException(rewards.length + " rewards do not split into groups of " + groupSize);
        }
        int groups = rewards.length / groupSize;
        double batchStd = scale == AdvantageScale.BATCH ? std(rewards, 0, rewards.length) : Double.NaN;
        double[] adv = new double[rewards.length];
        int zeroStd = 0;
        int missing = 0;
        for (int g = 0; g < groups; g++) {
            int from = g * groupSize;
            int to = from + groupSize;
            double sum = 0;
            int n = 0;
            double first = Double.NaN;
            boolean spread = false;
            for (int i = from; i < to; i++) {
                if (rewards[i] == null) {
                    missing++;
                    continue;
                }
                double r = rewards[i];
                if (n == 0) {
                    first = r;
                } else if (r != first) {
                    spread = true;
                }
                sum += r;
                n++;
            }
            if (!spread || n < 2) {
                zeroStd++;
                continue; // advantages stay exactly 0
            }
            double mean = sum / n;
            double divisor = switch (scale) {
                case GROUP -> std(rewards, from, to) + EPS;
                case BATCH -> batchStd + EPS;
                case NONE -> 1.0;
            };
            for (int i = from; i < to; i++) {
                if (rewards[i] != null) {
                    adv[i] = (rewards[i] - mean) / divisor;
                }
            }
        }
        return new Result(adv, zeroStd, groups, missing);
    }

    /** Unbiased std of the non-null values in [from, to); 0 when fewer than two. */
    static double std(Double[] values, int from, int to) {
        double sum = 0;
        int n = 0;
        for (int i = from; i < to; i++) {
            if (values[i] != null) {
                sum += values[i];
                n++;
            }
        }
        if (n < 2) {
            return 0;
        }
        double mean = sum / n;
        double ss = 0;
        for (int i = from; i < to; i++) {
            if (values[i] != null) {
                double d = values[i] - mean;
                ss += d * d;
            }
        }
        return Math.sqrt(ss / (n - 1));
    }
}
