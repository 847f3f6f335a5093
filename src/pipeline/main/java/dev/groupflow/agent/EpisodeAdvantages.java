package dev.groupflow.agent;

import dev.groupflow.grpo.AdvantageScale;
import dev.groupflow.grpo.Advantages;
import dev.groupflow.grpo.GiGpo;
import dev.groupflow.grpo.Ngrpo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Advantages of a group of episodes (G episodes of one task), one per policy turn, broadcast by the learner over
 * that turn's tokens.
 *
 * <ul>
 *   <li>{@link Estimator#GRPO}: one reward per trajectory, its return R; the group-relative advantage of
 *       {@link Advantages} (scaled by {@link AdvantageScale}) for every turn of the episode; with {@link Ngrpo},
 *       NGRPO's instead (virtual best-return episodes join the group's mean and std), so a group whose G episodes
 *       all failed alike still moves the policy away from what they did.</li>
 *   <li>{@link Estimator#GIGPO}: {@link GiGpo}'s episode advantage plus ω times the step advantage of the turn's
 *       anchor-state group (state keys of the {@link Step}s).</li>
 * </ul>
 *
 * <p>An episode without a return (its environment failed or timed out) or without turns is left out of every
 * statistic and gets advantage 0 on each turn: a failure is never counted as reward 0.
 */
public final class EpisodeAdvantages {
    private EpisodeAdvantages() {
    }

    /** Which estimator. */
    public enum Estimator { GRPO, GIGPO }

    /**
     * @param estimator GRPO or GiGPO
     * @param scale GRPO's scaling of the centred return (ignored by GiGPO, which has its own mode)
     * @param gigpo GiGPO's γ, ω, mode and ε (ignored by GRPO)
     * @param ngrpo GRPO only: NGRPO's virtual episodes ({@code grpo.advantage = ngrpo}), or null
     */
    public record Settings(Estimator estimator, AdvantageScale scale, GiGpo.Settings gigpo, Ngrpo ngrpo) {
        public Settings {
            if (ngrpo != null && (estimator != Estimator.GRPO || scale != AdvantageScale.GROUP)) {
                throw new IllegalArgumentException("NGRPO's advantages are episode GRPO's with scale group, got "
                        + estimator + " with scale " + scale);
            }
        }

        /** Without NGRPO. */
        public Settings(Estimator estimator, AdvantageScale scale, GiGpo.Settings gigpo) {
            this(estimator, scale, gigpo, null);
        }
    }

    /** Whether an episode takes part in its group's statistics. */
    public static boolean counted(Episode e) {
        return e.outcome().rewarded() && !e.steps().isEmpty();
    }

    /** @return advantages[i][t] for episode i's turn t, in the group's order */
    public static double[][] compute(List<Episode> group, Settings s) {
        double[][] out = new double[group.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new double[group.get(i).steps().size()];
        }
        if (s.estimator() == Estimator.GRPO) {
            Double[] returns = new Double[group.size()];
            for (int i = 0; i < returns.length; i++) {
                returns[i] = counted(group.get(i)) ? group.get(i).totalReward() : null;
            }
            double[] a = s.ngrpo() != null ? s.ngrpo().advantages(returns)
                    : Advantages.compute(returns, returns.length, s.scale()).advantages();
            for (int i = 0; i < out.length; i++) {
                Arrays.fill(out[i], a[i]);
            }
            return out;
        }
        List<Integer> members = new ArrayList<>();
        List<List<GiGpo.Step>> trajectories = new ArrayList<>();
        for (int i = 0; i < group.size(); i++) {
            if (counted(group.get(i))) {
                members.add(i);
                trajectories.add(group.get(i).steps().stream()
                        .map(step -> new GiGpo.Step(step.stateKey(), step.reward())).toList());
            }
        }
        if (!trajectories.isEmpty()) {
            double[][] a = GiGpo.advantages(trajectories, s.gigpo());
            for (int k = 0; k < a.length; k++) {
                out[members.get(k)] = a[k];
            }
        }
        return out;
    }
}
