package dev.groupflow.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** F16/BF16 conversions, checked against independent arithmetic and hand-computed rounding cases. */
class FloatFormatsTest {

    /**
     * Independent reference for IEEE binary16 decoding, straight from the definition with double arithmetic:
     * (-1)^s * 2^(e-15) * (1 + m/1024) for normals, (-1)^s * 2^-14 * (m/1024) for subnormals.
     */
    private static double referenceHalf(int h) {
        int s = (h >> 15) & 1;
        int e = (h >> 10) & 0x1F;
        int m = h & 0x3FF;
        double sign = s == 1 ? -1.0 : 1.0;
        if (e == 31) {
            return m == 0 ? sign * Double.POSITIVE_INFINITY : Double.NaN;
        }
        if (e == 0) {
            return sign * Math.pow(2, -14) * (m / 1024.0);
        }
        return sign * Math.pow(2, e - 15) * (1 + m / 1024.0);
    }

    @Test
    void everyHalfBitPatternWidensToTheExactValue() {
        int nans = 0;
        int subnormals = 0;
        for (int h = 0; h < 65536; h++) {
            float f = FloatFormats.halfToFloat((short) h);
            double ref = referenceHalf(h);
            String what = String.format("half 0x%04x", h);
            if (Double.isNaN(ref)) {
                nans++;
                assertTrue(Float.isNaN(f), what);
                int bits = Float.floatToRawIntBits(f);
                assertEquals(h >> 15, bits >>> 31, what + " sign");
                assertEquals(h & 0x3FF, (bits >> 13) & 0x3FF, what + " payload kept in the top mantissa bits");
                continue;
            }
            if (((h >> 10) & 0x1F) == 0 && (h & 0x3FF) != 0) {
                subnormals++;
            }
            assertEquals(ref, (double) f, 0.0, what);
            // Signed zero: compare bits, since 0.0 == -0.0.
            assertEquals(Double.doubleToRawLongBits(ref) >>> 63, (long) (Float.floatToRawIntBits(f) >>> 31), what
                    + " sign");
            // The bulk table agrees with the scalar function bit for bit.
            assertEquals(Float.floatToRawIntBits(f), Float.floatToRawIntBits(FloatFormats.HalfTable.TABLE[h]), what);
        }
        assertEquals(2 * 1023, nans);
        assertEquals(2 * 1023, subnormals);
        assertEquals(Float.POSITIVE_INFINITY, FloatFormats.halfToFloat((short) 0x7C00));
        assertEquals(Float.NEGATIVE_INFINITY, FloatFormats.halfToFloat((short) 0xFC00));
        assertEquals(65504f, FloatFormats.halfToFloat((short) 0x7BFF));
        assertEquals((float) Math.pow(2, -24), FloatFormats.halfToFloat((short) 0x0001));
    }

    @Test
    void everyNonNanHalfSurvivesARoundTripThroughFloat() {
        for (int h = 0; h < 65536; h++) {
            float f = FloatFormats.halfToFloat((short) h);
            short back = FloatFormats.floatToHalf(f);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(FloatFormats.halfToFloat(back)), String.format("NaN 0x%04x", h));
            } else {
                assertEquals(h, back & 0xFFFF, String.format("half 0x%04x", h));
            }
        }
    }

    @Test
    void floatToHalfRoundsToNearestWithTiesToEven() {
        float ulp1 = (float) Math.pow(2, -10); // spacing of halves in [1, 2)
        assertHalf(0x3C00, 1f);
        assertHalf(0x3C00, 1f + ulp1 / 2); // tie between 0x3C00 (even) and 0x3C01: down
        assertHalf(0x3C02, 1f + 3 * ulp1 / 2); // tie between 0x3C01 and 0x3C02 (even): up
        assertHalf(0x3C01, Math.nextUp(1f + ulp1 / 2)); // just above the tie: up
        assertHalf(0x3C00, Math.nextDown(1f + ulp1 / 2));
        assertHalf(0x7BFF, 65504f); // max finite
        assertHalf(0x7BFF, Math.nextDown(65520f)); // below the midpoint to 2^16
        assertHalf(0x7C00, 65520f); // midpoint between 65504 and 65536: ties to even = overflow to infinity
        assertHalf(0x7C00, 1e10f);
        assertHalf(0xFC00, -1e10f);
        assertHalf(0x7C00, Float.POSITIVE_INFINITY);
        assertHalf(0xFC00, Float.NEGATIVE_INFINITY);
        assertHalf(0x0000, 0f);
        assertHalf(0x8000, -0f);
        float sub = (float) Math.pow(2, -24); // smallest half subnormal
        assertHalf(0x0001, sub);
        assertHalf(0x0000, sub / 2); // tie between 0 (even) and 1: zero
        assertHalf(0x0001, Math.nextUp(sub / 2));
        assertHalf(0x0002, 3 * sub / 2); // tie between 1 and 2 (even): 2
        assertHalf(0x0002, 5 * sub / 2); // tie between 2 (even) and 3: 2
        assertHalf(0x8001, -sub);
        assertHalf(0x0000, Float.MIN_VALUE);
        assertHalf(0x03FF, 1023 * sub); // largest subnormal
        assertHalf(0x0400, 1023.5f * sub); // tie between 0x3FF and 0x400 (even): rounds up into the normals
        assertHalf(0x0400, (float) Math.pow(2, -14)); // smallest normal
        assertHalf(0x3555, 1f / 3); // 0.333251953125 is nearest
        short nan = FloatFormats.floatToHalf(Float.intBitsToFloat(0x7F800001)); // payload only in low bits
        assertTrue(Float.isNaN(FloatFormats.halfToFloat(nan)), "NaN must not become infinity");
        assertTrue(Float.isNaN(FloatFormats.halfToFloat(FloatFormats.floatToHalf(Float.NaN))));
        assertEquals(0x8000, FloatFormats.floatToHalf(Float.intBitsToFloat(0xFFC00000)) & 0x8000, "NaN sign kept");
    }

    @Test
    void floatToBf16RoundsToNearestWithTiesToEven() {
        assertBf16(0x3F80, 1f);
        assertBf16(0x3F80, Float.intBitsToFloat(0x3F808000)); // tie, 0x3F80 even: down
        assertBf16(0x3F82, Float.intBitsToFloat(0x3F818000)); // tie, 0x3F81 odd: up to 0x3F82
        assertBf16(0x3F81, Float.intBitsToFloat(0x3F808001)); // above the tie
        assertBf16(0x3F80, Float.intBitsToFloat(0x3F807FFF)); // below the tie
        assertBf16(0xBF82, Float.intBitsToFloat(0xBF818000)); // negative tie to even
        assertBf16(0x7F80, Float.MAX_VALUE); // rounds up to infinity
        assertBf16(0x7F7F, Float.intBitsToFloat(0x7F7F7FFF));
        assertBf16(0x7F80, Float.POSITIVE_INFINITY);
        assertBf16(0xFF80, Float.NEGATIVE_INFINITY);
        assertBf16(0x8000, -0f);
        assertBf16(0x0000, Float.MIN_VALUE); // subnormal below half a BF16 subnormal ulp
        assertBf16(0x0001, Float.intBitsToFloat(0x00010000));
        assertBf16(0x3EAB, 1f / 3); // 0x3EAAAAAB rounds up
        short nan = FloatFormats.floatToBf16(Float.intBitsToFloat(0x7F800001)); // payload only in the low bits
        assertTrue(Float.isNaN(FloatFormats.bf16ToFloat(nan)), "NaN must not become infinity");
        assertEquals(0xFFC1, FloatFormats.floatToBf16(Float.intBitsToFloat(0xFFC1FFFF)) & 0xFFFF,
                "NaN keeps sign and top payload, no rounding carry");
    }

    @Test
    void randomFloatsRoundToTheNearestHalfAndBf16() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < 200_000; i++) {
            // Mix of uniform bit patterns and values inside the half range.
            float f = i % 2 == 0 ? Float.intBitsToFloat(rnd.nextInt())
                    : (float) ((rnd.nextDouble() * 2 - 1) * Math.pow(2, rnd.nextInt(-26, 17)));
            if (Float.isNaN(f)) {
                continue;
            }
            assertNearestEven(f, FloatFormats.floatToHalf(f) & 0xFFFF, h -> FloatFormats.halfToFloat((short) h),
                    0x7C00, "half");
            assertNearestEven(f, FloatFormats.floatToBf16(f) & 0xFFFF, b -> FloatFormats.bf16ToFloat((short) b),
                    0x7F80, "bf16");
        }
    }

    @Test
    void f16AndF64TensorsAreConvertedWhenReadFromAFile(@TempDir Path tmp) {
        // Every half bit pattern as one F16 tensor, plus an F64 tensor, in a hand-built file.
        ByteBuffer data = ByteBuffer.allocate(65536 * 2 + 5 * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int h = 0; h < 65536; h++) {
            data.putShort((short) h);
        }
        double[] doubles = {1.0 / 3, -0.0, 1e300, Double.NaN, 1e-50};
        for (double d : doubles) {
            data.putDouble(d);
        }
        String header = "{\"all\":{\"dtype\":\"F16\",\"shape\":[256,256],\"data_offsets\":[0,131072]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[5],\"data_offsets\":[131072,131112]}}";
        Path file = Fixtures.write(tmp, "x.safetensors", Fixtures.file(header, data.array()));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            float[] all = f.readFloats("all");
            for (int h = 0; h < 65536; h++) {
                double ref = referenceHalf(h);
                if (Double.isNaN(ref)) {
                    assertTrue(Float.isNaN(all[h]));
                } else {
                    assertEquals(Double.doubleToRawLongBits(ref), Double.doubleToRawLongBits(all[h]),
                            String.format("0x%04x", h));
                }
            }
            float[] d = f.readFloats("d");
            assertEquals((float) (1.0 / 3), d[0]);
            assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(d[1]));
            assertEquals(Float.POSITIVE_INFINITY, d[2]);
            assertTrue(Float.isNaN(d[3]));
            assertEquals(0f, d[4]);
        }
    }

    private static void assertHalf(int expected, float f) {
        assertEquals(expected, FloatFormats.floatToHalf(f) & 0xFFFF,
                () -> String.format("floatToHalf(%s = 0x%08x)", f, Float.floatToRawIntBits(f)));
    }

    private static void assertBf16(int expected, float f) {
        assertEquals(expected, FloatFormats.floatToBf16(f) & 0xFFFF,
                () -> String.format("floatToBf16(%s = 0x%08x)", f, Float.floatToRawIntBits(f)));
    }

    /**
     * The result r must be at least as close to f as its neighbours r-1 and r+1 (same sign), and on a tie be even.
     * Distances are exact in double. An infinite result must mean f is at least the midpoint above the max finite.
     */
    private static void assertNearestEven(float f, int r, IntToDoubleFunction value, int inf,
            String what) {
        int sign = r & 0x8000;
        int mag = r & 0x7FFF;
        String msg = String.format("%s of %s (0x%08x) = 0x%04x", what, f, Float.floatToRawIntBits(f), r);
        assertEquals(f < 0 || (f == 0 && Float.floatToRawIntBits(f) < 0) ? 0x8000 : 0, sign, msg + " sign");
        assertTrue(mag <= inf, msg);
        double x = Math.abs((double) f);
        if (mag == inf) {
            double maxFinite = value.applyAsDouble(inf - 1);
            double ulp = maxFinite - value.applyAsDouble(inf - 2);
            assertTrue(x >= maxFinite + ulp / 2, msg + " overflowed too early");
            return;
        }
        double d = Math.abs(x - value.applyAsDouble(mag));
        if (mag > 0) {
            double below = Math.abs(x - value.applyAsDouble(mag - 1));
            assertTrue(d < below || (d == below && (mag & 1) == 0), msg + " (lower neighbour closer)");
        }
        if (mag + 1 < inf) {
            double above = Math.abs(x - value.applyAsDouble(mag + 1));
            assertTrue(d < above || (d == above && (mag & 1) == 0), msg + " (upper neighbour closer)");
        } else {
            // Next up would be infinity: f must be below the midpoint to 2 * 2^emax.
            double ulp = value.applyAsDouble(mag) - value.applyAsDouble(mag - 1);
            assertTrue(x < value.applyAsDouble(mag) + ulp / 2 || (mag & 1) == 0, msg);
        }
    }
}
