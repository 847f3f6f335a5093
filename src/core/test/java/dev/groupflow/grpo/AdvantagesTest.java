package dev.groupflow.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class AdvantagesTest {

    @Test
    void groupScaleDividesByTheGroupsUnbiasedStd() {
        Advantages.Result r = Advantages.compute(new Double[] {1.0, 0.0, 0.0, 1.0}, 4, AdvantageScale.GROUP);
        double std = Math.sqrt(1.0 / 3.0); // unbiased std of {1, 0, 0, 1}
        double a = 0.5 / (std + 1e-4);
        assertArrayEquals(new double[] {a, -a, -a, a}, r.advantages(), 1e-12);
    }

    @Test
    void zeroVarianceGroupsGiveExactlyZeroAndAreCounted() {
        Advantages.Result r = Advantages.compute(new Double[] {0.1, 0.1, 0.1, 0.3, 0.7, 0.5}, 3,
                AdvantageScale.NONE);
        assertEquals(0.0, r.advantages()[0]);
        assertEquals(0.0, r.advantages()[1]);
        assertEquals(0.0, r.advantages()[2]);
        assertEquals(-0.2, r.advantages()[3], 1e-12);
        assertEquals(0.5, r.zeroStdFraction());
    }

    @Test
    void missingRewardsAreLeftOutOfTheStatisticsAndGetZero() {
        // a failed member must not act as reward 0: the group is {1, 0.5} for the statistics
        Advantages.Result r = Advantages.compute(new Double[] {1.0, null, 0.5, null}, 4, AdvantageScale.NONE);
        assertArrayEquals(new double[] {0.25, 0.0, -0.25, 0.0}, r.advantages(), 1e-12);
        assertEquals(2, r.missing());
        Advantages.Result asZero = Advantages.compute(new Double[] {1.0, 0.0, 0.5, 0.0}, 4, AdvantageScale.NONE);
        assertEquals(0.625, asZero.advantages()[0], 1e-12);
    }

    @Test
    void aGroupWithOneScoredMemberHasNoSignal() {
        Advantages.Result r = Advantages.compute(new Double[] {null, 0.9, null}, 3, AdvantageScale.GROUP);
        assertArrayEquals(new double[3], r.advantages());
        assertEquals(1.0, r.zeroStdFraction());
    }

    @Test
    void batchScaleUsesOneStdForAllGroups() {
        Double[] rewards = {1.0, 0.0, 2.0, 0.0};
        Advantages.Result r = Advantages.compute(rewards, 2, AdvantageScale.BATCH);
        double std = Advantages.std(rewards, 0, 4);
        assertArrayEquals(new double[] {0.5 / (std + 1e-4), -0.5 / (std + 1e-4), 1 / (std + 1e-4),
                -1 / (std + 1e-4)}, r.advantages(), 1e-12);
    }

    @Test
    void rewardsMustSplitIntoWholeGroups() {
        assertThrows(IllegalArgumentException.class,
                () -> Advantages.compute(new Double[] {1.0, 2.0, 3.0}, 2, AdvantageScale.GROUP));
    }
}
