package dev.groupflow.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.groupflow.testkit.VariantCases;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** NGRPO's advantages: every {@code ngrpo} case of the fixtures, and missing rewards left out of the statistics. */
class NgrpoTest {

    @TestFactory
    Stream<DynamicNode> everyNgrpoCaseMatchesTheReference() {
        return VariantCases.of("ngrpo", c -> "G=" + c.get("rewards").size() + " K=" + c.get("virtual_count"), c -> {
            JsonNode n = c.node();
            Double[] rewards = new Double[n.get("rewards").size()];
            for (int i = 0; i < rewards.length; i++) {
                rewards[i] = n.get("rewards").get(i).asDouble();
            }
            Ngrpo ngrpo = new Ngrpo(n.get("virtual_count").asInt(), n.get("virtual_reward").asDouble(),
                    n.get("std_eps").asDouble());
            double[] got = ngrpo.advantages(rewards);
            JsonNode expected = n.get("advantages");
            assertEquals(expected.size(), got.length);
            for (int i = 0; i < got.length; i++) {
                assertEquals(expected.get(i).asDouble(), got[i], c.tolerance(), "member " + i);
            }
        });
    }

    @Test
    void missingRewardsAreLeftOutOfEveryStatistic() {
        // the group with its two missing members removed has exactly the same advantages for the others
        Double[] withMissing = {1.0, null, 0.0, 0.0, null, 1.0, 0.0};
        Double[] scoredOnly = {1.0, 0.0, 0.0, 1.0, 0.0};
        double[] a = Ngrpo.DEFAULT.advantages(withMissing);
        double[] b = Ngrpo.DEFAULT.advantages(scoredOnly);
        assertArrayEquals(new double[] {b[0], 0, b[1], b[2], 0, b[3], b[4]}, a, 0.0);
        // a failure is not reward 0: scoring the missing ones as 0 changes the others
        double[] asZero = Ngrpo.DEFAULT.advantages(new Double[] {1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0});
        assertTrue(Math.abs(asZero[0] - a[0]) > 1e-3);
    }

    @Test
    void oneScoredMemberIsAGroupOfOne() {
        // mean 0, std 1, no virtual sample: A = r / (1 + ε)
        double[] a = Ngrpo.DEFAULT.advantages(new Double[] {null, 0.5, null});
        assertArrayEquals(new double[] {0, 0.5 / (1 + Ngrpo.EPS), 0}, a, 1e-15);
        assertArrayEquals(new double[3], Ngrpo.DEFAULT.advantages(new Double[] {null, null, null}), 0.0);
    }

    @Test
    void allWrongGroupsCarrySignalAndAllCorrectOnesDoNot() {
        Double[] allWrong = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
        for (double a : Ngrpo.DEFAULT.advantages(allWrong)) {
            assertEquals(-1 / Math.sqrt(9), a, 1e-5); // −1/√(G+1) for K = 1
        }
        assertFalse(Ngrpo.DEFAULT.zeroSignal(allWrong));
        Double[] allRight = {1.0, 1.0, null, 1.0};
        assertArrayEquals(new double[4], Ngrpo.DEFAULT.advantages(allRight), 0.0);
        assertTrue(Ngrpo.DEFAULT.zeroSignal(allRight));
        assertTrue(Ngrpo.DEFAULT.zeroSignal(new Double[] {null, null}));
        assertTrue(Ngrpo.DEFAULT.zeroSignal(new Double[] {0.0, null}));
        assertFalse(Ngrpo.DEFAULT.zeroSignal(new Double[] {0.5, 0.5}));
    }

    @Test
    void settingsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new Ngrpo(0, 1.0, 1e-6));
        assertThrows(IllegalArgumentException.class, () -> new Ngrpo(1, Double.NaN, 1e-6));
        assertThrows(IllegalArgumentException.class, () -> new Ngrpo(1, 1.0, -1));
    }
}
