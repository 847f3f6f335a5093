package dev.groupflow.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.groupflow.data.Prompt;
import dev.groupflow.grpo.AdvantageScale;
import dev.groupflow.grpo.GiGpo;
import dev.groupflow.grpo.Ngrpo;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Per-turn advantages of a group of episodes: GRPO broadcasts the episode's, GiGPO adds step groups. */
class EpisodeAdvantagesTest {
    private static final Prompt TASK = Prompt.text("t", "??:", "47");

    /** An episode with one policy turn per (state, reward) pair. */
    private static Episode episode(EpisodeOutcome outcome, Object... stateReward) {
        List<Segment> segments = new ArrayList<>(List.of(Segment.context(new int[] {1})));
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < stateReward.length; i += 2) {
            segments.add(Segment.policy(new int[] {2}, new float[] {0f}, 0));
            steps.add(new Step(i / 2, (String) stateReward[i], Action.plain("x", false), (double) stateReward[i + 1],
                    false, ""));
        }
        return new Episode("e", 0, 0, TASK, segments, steps, outcome);
    }

    private static final EpisodeOutcome DONE = new EpisodeOutcome.Finished();
    private static final EpisodeOutcome FAILED = new EpisodeOutcome.EnvironmentFailed("down", 1);

    @Test
    void grpoGivesEveryTurnItsEpisodesAdvantageAndLeavesFailuresOut() {
        List<Episode> group = List.of(episode(DONE, "s", 0.0, "a", 1.0), episode(DONE, "s", 0.0),
                episode(FAILED, "s", 5.0, "b", 5.0));
        double[][] a = EpisodeAdvantages.compute(group, new EpisodeAdvantages.Settings(
                EpisodeAdvantages.Estimator.GRPO, AdvantageScale.NONE, null));
        // returns 1 and 0 (the failed episode's 10 is unknown, not counted): mean 0.5
        assertArrayEquals(new double[] {0.5, 0.5}, a[0], 1e-12);
        assertArrayEquals(new double[] {-0.5}, a[1], 1e-12);
        assertArrayEquals(new double[] {0, 0}, a[2], 0);
    }

    @Test
    void gigpoUsesTheStepsStateKeys() {
        List<Episode> group = List.of(episode(DONE, "s", 0.0, "a", 1.0), episode(DONE, "s", 0.0, "b", 0.0),
                episode(FAILED, "s", 9.0));
        GiGpo.Settings s = new GiGpo.Settings(1.0, 1.0, GiGpo.Mode.MEAN_NORM, 1e-6);
        double[][] a = EpisodeAdvantages.compute(group, new EpisodeAdvantages.Settings(
                EpisodeAdvantages.Estimator.GIGPO, AdvantageScale.GROUP, s));
        // returns 1, 0 → A^E ±0.5; state s: step returns 1 and 0 → ±0.5; states a, b are singletons
        assertArrayEquals(new double[] {1.0, 0.5}, a[0], 1e-12);
        assertArrayEquals(new double[] {-1.0, -0.5}, a[1], 1e-12);
        assertArrayEquals(new double[] {0}, a[2], 0);
    }

    @Test
    void ngrpoMovesAGroupWhoseEpisodesAllFailedAlike() {
        // three episodes that all ended at return 0.5 (one turn 0.25 then 0.25), a fourth whose environment failed
        List<Episode> group = List.of(episode(DONE, "s", 0.25, "a", 0.25), episode(DONE, "s", 0.25, "a", 0.25),
                episode(DONE, "s", 0.5), episode(FAILED, "s", 1.0));
        double[][] plain = EpisodeAdvantages.compute(group, new EpisodeAdvantages.Settings(
                EpisodeAdvantages.Estimator.GRPO, AdvantageScale.GROUP, null));
        assertArrayEquals(new double[] {0, 0}, plain[0], 0, "GRPO: no spread, no signal");
        double[][] a = EpisodeAdvantages.compute(group, new EpisodeAdvantages.Settings(
                EpisodeAdvantages.Estimator.GRPO, AdvantageScale.GROUP, null, Ngrpo.DEFAULT));
        // returns {0.5, 0.5, 0.5} and one virtual 1.0: mean 0.625, unbiased std sqrt(0.1875 / 3) = 0.25
        double expected = (0.5 - 0.625) / (0.25 + Ngrpo.EPS);
        assertArrayEquals(new double[] {expected, expected}, a[0], 1e-12);
        assertArrayEquals(new double[] {expected, expected}, a[1], 1e-12);
        assertArrayEquals(new double[] {expected}, a[2], 1e-12);
        assertArrayEquals(new double[] {0}, a[3], 0, "a failed episode is never scored");
        assertThrows(IllegalArgumentException.class, () -> new EpisodeAdvantages.Settings(
                EpisodeAdvantages.Estimator.GIGPO, AdvantageScale.GROUP, null, Ngrpo.DEFAULT));
    }
}
