package dev.groupflow.grpo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * GiGPO advantages (Group-in-Group Policy Optimization, arXiv 2505.10978), as verl-agent's {@code core_gigpo.py}
 * computes them, for one group: N trajectories of the same task from the same initial state. Each step is one
 * policy turn; its advantage is broadcast over that turn's tokens.
 *
 * <ol>
 *   <li>Episode advantage (Eq. 3): R(τ_i) = Σ_t r_t, each trajectory counted once;
 *       {@code mean_norm}: A^E = R − mean(R); {@code mean_std_norm}: A^E = (R − mean) / (std + ε) with the
 *       unbiased std (a group of one: mean 0 is irrelevant, std 1).</li>
 *   <li>Discounted step return (Eq. 5): R_t = Σ_{k ≥ t} γ^(k − t) r_k.</li>
 *   <li>Anchor-state groups (Eq. 6): steps of the group taken from the same state (equal anchor keys, across and
 *       within trajectories) form a step group.</li>
 *   <li>Step advantage (Eq. 7): A^S = R_t − mean (or (R_t − mean) / (std + ε)) over the step group; a step group of
 *       one gives A^S = 0.</li>
 *   <li>A_t = A^E + ω · A^S (Eq. 8).</li>
 * </ol>
 *
 * <p>Only trajectories with rewards belong here: an episode whose environment failed or timed out has no reward
 * and is left out by the caller (it trains with advantage 0), never counted as reward 0. Pure arithmetic in
 * double precision; no tensors.
 */
public final class GiGpo {
    private GiGpo() {
    }

    /** How episode and step advantages are normalised. */
    public enum Mode {
        /** Subtract the group mean. */
        MEAN_NORM,
        /** Subtract the group mean, divide by (unbiased std + ε). */
        MEAN_STD_NORM;

        /** {@code mean_norm} or {@code mean_std_norm} (the names of verl-agent and of the fixtures). */
        public static Mode parse(String name) {
            return switch (name.toLowerCase(Locale.ROOT).replace('-', '_')) {
                case "mean_norm" -> MEAN_NORM;
                case "mean_std_norm" -> MEAN_STD_NORM;
                default -> throw new IllegalArgumentException("GiGPO mode '" + name
                        + "' is not one of mean_norm, mean_std_norm");
            };
        }
    }

    /**
     * @param gamma discount of step returns (γ)
     * @param omega weight of the step advantage (ω)
     * @param mode normalisation of both advantages
     * @param stdEps added to the std before dividing (ε)
     */
    public record Settings(double gamma, double omega, Mode mode, double stdEps) {
        public Settings {
            if (!(gamma >= 0 && gamma <= 1)) {
                throw new IllegalArgumentException("GiGPO gamma must be in [0, 1], got " + gamma);
            }
            if (!Double.isFinite(omega)) {
                throw new IllegalArgumentException("GiGPO omega must be finite, got " + omega);
            }
            if (!(stdEps > 0)) {
                throw new IllegalArgumentException("GiGPO std epsilon must be > 0, got " + stdEps);
            }
        }
    }

    /**
     * One policy step: the state it was taken from and the environment's immediate reward.
     *
     * @param anchor the state key (compared with {@code equals}; two steps share a step group iff equal)
     * @param reward r_t
     */
    public record Step(Object anchor, double reward) {
    }

    /** Where a step sits: trajectory i, step t. */
    public record StepRef(int trajectory, int step) {
    }

    /**
     * Per-step advantages of one group.
     *
     * @param trajectories each the steps of one trajectory, in order (at least one trajectory)
     * @return advantages[i][t], the same nesting
     */
    public static double[][] advantages(List<List<Step>> trajectories, Settings s) {
        if (trajectories.isEmpty()) {
            throw new IllegalArgumentException("a GiGPO group needs at least one trajectory");
        }
        double[] episode = episodeAdvantages(trajectories, s);
        double[][] returns = discountedReturns(trajectories, s.gamma());
        double[][] out = new double[trajectories.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new double[returns[i].length];
            Arrays.fill(out[i], episode[i]);
        }
        for (List<StepRef> members : stepGroups(trajectories).values()) {
            if (members.size() < 2) {
                continue; // a singleton step group: A^S = 0
            }
            double[] values = new double[members.size()];
            for (int k = 0; k < values.length; k++) {
                values[k] = returns[members.get(k).trajectory()][members.get(k).step()];
            }
            double mean = mean(values);
            double divisor = s.mode() == Mode.MEAN_NORM ? 1.0 : unbiasedStd(values) + s.stdEps();
            for (int k = 0; k < values.length; k++) {
                StepRef r = members.get(k);
                out[r.trajectory()][r.step()] += s.omega() * (values[k] - mean) / divisor;
            }
        }
        return out;
    }

    /** A^E per trajectory (Eq. 3): each trajectory's return counted once. */
    public static double[] episodeAdvantages(List<List<Step>> trajectories, Settings s) {
        double[] totals = new double[trajectories.size()];
        for (int i = 0; i < totals.length; i++) {
            for (Step step : trajectories.get(i)) {
                totals[i] += step.reward();
            }
        }
        double mean = mean(totals);
        double divisor = s.mode() == Mode.MEAN_NORM ? 1.0
                : (totals.length > 1 ? unbiasedStd(totals) : 1.0) + s.stdEps();
        double[] out = new double[totals.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (totals[i] - mean) / divisor;
        }
        return out;
    }

    /** R_t = r_t + γ R_{t+1} per trajectory (Eq. 5). */
    public static double[][] discountedReturns(List<List<Step>> trajectories, double gamma) {
        double[][] out = new double[trajectories.size()][];
        for (int i = 0; i < out.length; i++) {
            List<Step> t = trajectories.get(i);
            out[i] = new double[t.size()];
            double acc = 0;
            for (int k = t.size() - 1; k >= 0; k--) {
                acc = t.get(k).reward() + gamma * acc;
                out[i][k] = acc;
            }
        }
        return out;
    }

    /** The anchor-state step groups (Eq. 6), in order of first appearance. */
    public static Map<Object, List<StepRef>> stepGroups(List<List<Step>> trajectories) {
        Map<Object, List<StepRef>> groups = new LinkedHashMap<>();
        for (int i = 0; i < trajectories.size(); i++) {
            List<Step> t = trajectories.get(i);
            for (int k = 0; k < t.size(); k++) {
                groups.computeIfAbsent(t.get(k).anchor(), a -> new ArrayList<>()).add(new StepRef(i, k));
            }
        }
        return groups;
    }

    private static double mean(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.length;
    }

    private static double unbiasedStd(double[] values) {
        double mean = mean(values);
        double ss = 0;
        for (double v : values) {
            ss += (v - mean) * (v - mean);
        }
        return Math.sqrt(ss / (values.length - 1));
    }
}
