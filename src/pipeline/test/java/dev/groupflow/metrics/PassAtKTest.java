package dev.groupflow.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PassAtKTest {

    @Test
    void handComputedValues() {
        // n = 5, c = 2: pass@1 = 2/5; pass@2 = 1 - C(3,2)/C(5,2) = 1 - 3/10; pass@5 = 1 (any 5 of 5 include a hit)
        assertEquals(0.4, PassAtK.estimate(5, 2, 1), 1e-12);
        assertEquals(0.7, PassAtK.estimate(5, 2, 2), 1e-12);
        assertEquals(0.9, PassAtK.estimate(5, 2, 3), 1e-12);
        assertEquals(1.0, PassAtK.estimate(5, 2, 4), 1e-12);
        assertEquals(1.0, PassAtK.estimate(5, 2, 5), 1e-12);
        assertEquals(0.0, PassAtK.estimate(5, 0, 3), 1e-12);
        assertEquals(1.0, PassAtK.estimate(5, 5, 1), 1e-12);
        assertEquals(0.25, PassAtK.estimate(4, 1, 1), 1e-12);
    }

    @Test
    void equalsTheBinomialFormulaComputedExactly() {
        for (int n = 1; n <= 40; n++) {
            for (int c = 0; c <= n; c++) {
                for (int k = 1; k <= n; k++) {
                    assertEquals(exact(n, c, k), PassAtK.estimate(n, c, k), 1e-12, "n=" + n + " c=" + c + " k=" + k);
                }
            }
        }
    }

    @Test
    void staysAccurateWhereBinomialCoefficientsOverflowDoubles() {
        // C(2000, 1000) is about 1e600: the quotient form would overflow, the product form does not
        assertEquals(exact(2000, 3, 1000), PassAtK.estimate(2000, 3, 1000), 1e-12);
        assertEquals(exact(2000, 1, 1), PassAtK.estimate(2000, 1, 1), 1e-15);
        assertTrue(Double.isFinite(PassAtK.estimate(100_000, 50_000, 50_000)));
    }

    @Test
    void refusesImpossibleArguments() {
        assertThrows(IllegalArgumentException.class, () -> PassAtK.estimate(5, 2, 6));
        assertThrows(IllegalArgumentException.class, () -> PassAtK.estimate(5, 6, 1));
        assertThrows(IllegalArgumentException.class, () -> PassAtK.estimate(5, 2, 0));
    }

    @Test
    void averagesOverPrompts() {
        double[] per = PassAtK.perPrompt(new int[] {5, 5, 5}, new int[] {2, 0, 5}, 2);
        assertArrayEquals(new double[] {0.7, 0.0, 1.0}, per, 1e-12);
        assertEquals(1.7 / 3, PassAtK.mean(per), 1e-12);
    }

    @Test
    void theBootstrapIntervalIsReproducibleAndBracketsTheMean() {
        double[] values = new double[40];
        for (int i = 0; i < values.length; i++) {
            values[i] = i % 4 == 0 ? 1.0 : i % 4 == 1 ? 0.5 : 0.0;
        }
        double mean = PassAtK.mean(values);
        PassAtK.Interval ci = PassAtK.bootstrap(values, 7);
        assertEquals(ci, PassAtK.bootstrap(values, 7), "same seed, same interval");
        assertTrue(ci.low() < mean && mean < ci.high(), ci + " around " + mean);
        assertTrue(ci.low() >= 0 && ci.high() <= 1, ci.toString());
        // the standard error is about sd / sqrt(40) = 0.066, so the 95% interval is about 0.26 wide
        double width = ci.high() - ci.low();
        assertTrue(width > 0.15 && width < 0.40, "width " + width);
    }

    @Test
    void theIntervalNarrowsWithMorePromptsAndCollapsesWithoutSpread() {
        double[] few = {1, 0, 1, 0, 1, 0, 1, 0};
        double[] many = new double[800];
        for (int i = 0; i < many.length; i++) {
            many[i] = i % 2;
        }
        PassAtK.Interval a = PassAtK.bootstrap(few, 1);
        PassAtK.Interval b = PassAtK.bootstrap(many, 1);
        assertTrue(b.high() - b.low() < (a.high() - a.low()) / 5, a + " vs " + b);
        double[] same = new double[10];
        Arrays.fill(same, 0.7);
        PassAtK.Interval none = PassAtK.bootstrap(same, 1);
        assertEquals(0.7, none.low(), 1e-12);
        assertEquals(0.7, none.high(), 1e-12);
        assertNull(PassAtK.bootstrap(new double[0], 1));
    }

    @Test
    void percentilesInterpolateBetweenRanks() {
        double[] sorted = {0, 10, 20, 30, 40};
        assertEquals(0, PassAtK.percentile(sorted, 0), 1e-12);
        assertEquals(40, PassAtK.percentile(sorted, 1), 1e-12);
        assertEquals(15, PassAtK.percentile(sorted, 0.375), 1e-12);
    }

    /** 1 - C(n-c, k) / C(n, k) with exact integers. */
    private static double exact(int n, int c, int k) {
        BigInteger all = binomial(n, k);
        BigInteger none = n - c < k ? BigInteger.ZERO : binomial(n - c, k);
        return 1.0 - new BigDecimal(none).divide(new BigDecimal(all), MathContext.DECIMAL128)
                .doubleValue();
    }

    private static BigInteger binomial(int n, int k) {
        BigInteger r = BigInteger.ONE;
        for (int i = 0; i < k; i++) {
            r = r.multiply(BigInteger.valueOf(n - i)).divide(BigInteger.valueOf(i + 1));
        }
        return r;
    }
}
