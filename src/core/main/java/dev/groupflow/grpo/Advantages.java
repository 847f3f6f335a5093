package dev.groupflow.grpo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Group-relative advantages. For a group of G completions of one prompt with rewards r_i,
 * {@code A_i = r_i − mean(r)}, then divided by {@code std + 1e-4} where std is the unbiased (Bessel) standard
 * deviation of the group ({@link AdvantageScale#GROUP}) or of the whole batch ({@link AdvantageScale#BATCH}),
 * or not divided ({@link AdvantageScale#NONE}).
 *
 * <p>A member whose reward is missing (its verifier failed or timed out: {@code null}) is left out of every
 * statistic and gets advantage 0, so a failure is never scored as reward 0. A group without spread
 * ({@link #zeroVariance}) gets exactly 0 for everyone.
 */
public final class Advantages {
    /** Added to the std before dividing, as TRL. */
    public static final double EPS = 1e-4;

    private Advantages() {
    }

    /**
     * @param perGroup one array per group, one advantage per member in input order
     * @param zeroStdGroups groups with no spread among their scored rewards (their advantages are all 0)
     * @param missing members without a reward
     */
    public record Result(double[][] perGroup, int zeroStdGroups, int missing) {
        public int groups() {
            return perGroup.length;
        }

        /** Every advantage, group by group (one per row of the batch). */
        public double[] advantages() {
            return Arrays.stream(perGroup).flatMapToDouble(Arrays::stream).toArray();
        }

        public double zeroStdFraction() {
            return groups() == 0 ? 0 : (double) zeroStdGroups / groups();
        }
    }

    /**
     * Whether a group carries no learning signal: all its scored rewards are equal, or fewer than two are scored.
     * The learner gives such a group advantages of exactly 0; DAPO's dynamic sampling drops it before training.
     *
     * @param rewards the group's rewards; null = missing
     */
    public static boolean zeroVariance(Double[] rewards) {
        Double first = null;
        for (Double r : rewards) {
            if (r == null) {
                continue;
            }
            if (first == null) {
                first = r;
            } else if (r.doubleValue() != first.doubleValue()) {
                return false;
            }
        }
        return true;
    }

    /** @param groups the rewards of each group (null = missing) */
    public static Result compute(List<Double[]> groups, AdvantageScale scale) {
        double batchStd = scale == AdvantageScale.BATCH ? std(concat(groups)) : Double.NaN;
        double[][] adv = new double[groups.size()][];
        int zeroStd = 0;
        int missing = 0;
        for (int g = 0; g < groups.size(); g++) {
            Double[] rewards = groups.get(g);
            adv[g] = new double[rewards.length];
            missing += (int) Arrays.stream(rewards).filter(r -> r == null).count();
            if (zeroVariance(rewards)) {
                zeroStd++;
                continue; // advantages stay exactly 0
            }
            double mean = mean(rewards);
            double divisor = switch (scale) {
                case GROUP -> std(rewards) + EPS;
                case BATCH -> batchStd + EPS;
                case NONE -> 1.0;
            };
            for (int i = 0; i < rewards.length; i++) {
                if (rewards[i] != null) {
                    adv[g][i] = (rewards[i] - mean) / divisor;
                }
            }
        }
        return new Result(adv, zeroStd, missing);
    }

    /**
     * A flat batch of {@code rewards}, group by group, each group {@code groupSize} long (as TRL's
     * {@code rewards.view(-1, num_generations)}); the reference fixtures store rewards this way.
     */
    public static Result compute(Double[] rewards, int groupSize, AdvantageScale scale) {
        if (groupSize < 1 || rewards.length % groupSize != 0) {
            throw new IllegalArgumentException(rewards.length + " rewards do not split into groups of " + groupSize);
        }
        List<Double[]> groups = new ArrayList<>();
        for (int from = 0; from < rewards.length; from += groupSize) {
            groups.add(Arrays.copyOfRange(rewards, from, from + groupSize));
        }
        return compute(groups, scale);
    }

    private static double mean(Double[] values) {
        double sum = 0;
        int n = 0;
        for (Double v : values) {
            if (v != null) {
                sum += v;
                n++;
            }
        }
        return sum / n;
    }

    /** Unbiased std of the non-null values; 0 when fewer than two. */
    static double std(Double[] values) {
        return std(values, 0, values.length);
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

    private static Double[] concat(List<Double[]> groups) {
        return groups.stream().flatMap(Arrays::stream).toArray(Double[]::new);
    }
}
