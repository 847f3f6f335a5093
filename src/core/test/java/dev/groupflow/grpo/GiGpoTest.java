package dev.groupflow.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Step groups by state key, and advantages worked out by hand. */
class GiGpoTest {
    private static final GiGpo.Settings MEAN = new GiGpo.Settings(0.5, 1.0, GiGpo.Mode.MEAN_NORM, 1e-6);

    private static GiGpo.Step step(String anchor, double reward) {
        // a fresh String each time: keys are compared by value, never by identity
        return new GiGpo.Step(new String(anchor), reward);
    }

    /** τ0: a→b (reward at b), τ1: a→c (nothing), τ2: a (reward) → b. */
    private static List<List<GiGpo.Step>> group() {
        return List.of(
                List.of(step("a", 0), step("b", 1)),
                List.of(step("a", 0), step("c", 0)),
                List.of(step("a", 1), step("b", 0)));
    }

    @Test
    void stepsFromTheSameStateShareAStepGroupAndOthersDoNot() {
        Map<Object, List<GiGpo.StepRef>> groups = GiGpo.stepGroups(group());
        assertEquals(List.of("a", "b", "c"), List.copyOf(groups.keySet()));
        assertEquals(List.of(new GiGpo.StepRef(0, 0), new GiGpo.StepRef(1, 0), new GiGpo.StepRef(2, 0)),
                groups.get("a"));
        assertEquals(List.of(new GiGpo.StepRef(0, 1), new GiGpo.StepRef(2, 1)), groups.get("b"));
        assertEquals(List.of(new GiGpo.StepRef(1, 1)), groups.get("c"));
    }

    @Test
    void advantagesByHand() {
        // returns (γ = 0.5): τ0 (0.5, 1), τ1 (0, 0), τ2 (1, 0); episode totals 1, 0, 1 → A^E = 1/3, -2/3, 1/3
        // group a {0.5, 0, 1} mean 0.5; group b {1, 0} mean 0.5; group c is a singleton (A^S = 0)
        double[][] a = GiGpo.advantages(group(), MEAN);
        assertArrayEquals(new double[] {1.0 / 3, 1.0 / 3 + 0.5}, a[0], 1e-12);
        assertArrayEquals(new double[] {-2.0 / 3 - 0.5, -2.0 / 3}, a[1], 1e-12);
        assertArrayEquals(new double[] {1.0 / 3 + 0.5, 1.0 / 3 - 0.5}, a[2], 1e-12);
    }

    @Test
    void aStepThatLeavesItsStateGroupGetsOnlyTheEpisodeAdvantage() {
        // the same rewards, but τ2's second step now comes from state d: b and d are singletons
        List<List<GiGpo.Step>> moved = List.of(group().get(0), group().get(1),
                List.of(step("a", 1), step("d", 0)));
        double[][] a = GiGpo.advantages(moved, MEAN);
        assertEquals(1.0 / 3, a[0][1], 1e-12);
        assertEquals(1.0 / 3, a[2][1], 1e-12);
        assertEquals(1.0 / 3 + 0.5, a[2][0], 1e-12, "the shared first state still groups all three");
    }

    @Test
    void aStateRevisitedWithinOneTrajectoryJoinsItsGroupTwice() {
        List<List<GiGpo.Step>> loop = List.of(List.of(step("s", 0), step("s", 2)), List.of(step("t", 0)));
        assertEquals(List.of(new GiGpo.StepRef(0, 0), new GiGpo.StepRef(0, 1)), GiGpo.stepGroups(loop).get("s"));
        // returns of τ0: (1, 2), mean 1.5; totals 2, 0 → A^E = 1, -1
        double[][] a = GiGpo.advantages(loop, MEAN);
        assertArrayEquals(new double[] {1 - 0.5, 1 + 0.5}, a[0], 1e-12);
        assertArrayEquals(new double[] {-1}, a[1], 1e-12);
    }

    @Test
    void meanStdNormDividesByTheUnbiasedStd() {
        GiGpo.Settings std = new GiGpo.Settings(0.5, 2.0, GiGpo.Mode.MEAN_STD_NORM, 1e-6);
        double[][] a = GiGpo.advantages(group(), std);
        double episodeStd = Math.sqrt((1.0 / 9 + 4.0 / 9 + 1.0 / 9) / 2); // totals 1, 0, 1
        double groupAStd = 0.5;                                           // {0.5, 0, 1}
        double groupBStd = Math.sqrt(0.5);                                // {1, 0}
        assertEquals((1 - 2.0 / 3) / (episodeStd + 1e-6), a[0][0], 1e-12);
        assertEquals((1 - 2.0 / 3) / (episodeStd + 1e-6) + 2 * 0.5 / (groupBStd + 1e-6), a[0][1], 1e-12);
        assertEquals((0 - 2.0 / 3) / (episodeStd + 1e-6) + 2 * -0.5 / (groupAStd + 1e-6), a[1][0], 1e-12);
    }

    @Test
    void aGroupOfOneHasNoAdvantageAndBadSettingsAreRefused() {
        double[][] a = GiGpo.advantages(List.of(List.of(step("x", 3), step("y", 1))),
                new GiGpo.Settings(0.9, 1.0, GiGpo.Mode.MEAN_STD_NORM, 1e-6));
        assertArrayEquals(new double[] {0, 0}, a[0], 0);
        assertThrows(IllegalArgumentException.class, () -> new GiGpo.Settings(1.5, 1, GiGpo.Mode.MEAN_NORM, 1e-6));
        assertThrows(IllegalArgumentException.class, () -> GiGpo.Mode.parse("median"));
        assertThrows(IllegalArgumentException.class, () -> GiGpo.advantages(List.of(), MEAN));
    }
}
