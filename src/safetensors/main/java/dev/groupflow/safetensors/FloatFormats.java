package dev.groupflow.safetensors;

/**
 * Bit-level conversions between {@code float} and the 16-bit float formats stored in checkpoints.
 *
 * <ul>
 *   <li>BF16 to float is exact: the BF16 bits are the upper half of the float bits.</li>
 *   <li>F16 (IEEE binary16) to float is exact for every bit pattern: subnormals become normal floats, infinities
 *       stay infinities, NaNs stay NaNs with sign and payload kept (payload shifted into the top of the float
 *       mantissa).</li>
 *   <li>float to BF16/F16 rounds to nearest, ties to even; overflow gives infinity, underflow gives (signed) zero or
 *       a subnormal; NaN stays NaN (sign and the top payload bits kept, quiet bit set so truncation can never turn
 *       a NaN into an infinity).</li>
 * </ul>
 */
public final class FloatFormats {

    private FloatFormats() {
    }

    /** Widens BF16 bits to float (exact). */
    public static float bf16ToFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xFFFF) << 16);
    }

    /** Rounds a float to BF16 bits: round to nearest, ties to even; NaN stays NaN. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) {
            // NaN: keep sign and upper payload, set the quiet bit (bit 6 of the BF16 mantissa).
            return (short) ((bits >>> 16) | 0x0040);
        }
        // Adding 0x7FFF plus the lowest kept bit rounds half to even; a carry out of the mantissa bumps the
        // exponent, which is the right result (up to infinity for the largest finite floats).
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }

    /** Widens IEEE binary16 bits to float (exact for every bit pattern). */
    public static float halfToFloat(short half) {
        int h = half & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0x1F) {
            // Infinity (mant == 0) or NaN (payload moved to the top of the float mantissa).
            return Float.intBitsToFloat(sign | 0x7F80_0000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign); // signed zero
            }
            // Subnormal half: mant * 2^-24. Normalise: shift the leading one up to bit 10 (the implicit bit).
            int shift = Integer.numberOfLeadingZeros(mant) - 21;
            int normMant = (mant << shift) & 0x3FF;
            int floatExp = 127 - 14 - shift;
            return Float.intBitsToFloat(sign | (floatExp << 23) | (normMant << 13));
        }
        // Normal: rebias the exponent from 15 to 127.
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** Rounds a float to IEEE binary16 bits: round to nearest, ties to even; NaN stays NaN. */
    public static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xFF;
        int mant = bits & 0x7F_FFFF;
        if (exp == 0xFF) {
            if (mant == 0) {
                return (short) (sign | 0x7C00); // infinity
            }
            // NaN: keep the top payload bits, set the quiet bit.
            return (short) (sign | 0x7C00 | 0x0200 | (mant >>> 13));
        }
        int e = exp - 127 + 15; // half exponent field if the value were a normal half
        if (e >= 0x1F) {
            return (short) (sign | 0x7C00); // at least 2^16: overflows to infinity
        }
        if (e <= 0) {
            // Half subnormal (or zero): value = k * 2^-24 with k = significand24 >> (14 - e).
            if (e < -10) {
                return (short) sign; // below 2^-25: rounds to zero (2^-25 itself is a tie, handled below)
            }
            int sig = mant | 0x80_0000; // float zero/subnormal inputs have e <= -103 and returned above
            int shift = 14 - e;
            int k = sig >>> shift;
            int rem = sig & ((1 << shift) - 1);
            int half = 1 << (shift - 1);
            if (rem > half || (rem == half && (k & 1) != 0)) {
                k++; // may carry into the exponent field: 0x400 is the smallest normal, as it should be
            }
            return (short) (sign | k);
        }
        int h = (e << 10) | (mant >>> 13);
        int rem = mant & 0x1FFF;
        if (rem > 0x1000 || (rem == 0x1000 && (h & 1) != 0)) {
            h++; // a carry into the exponent is correct; 0x7BFF + 1 = 0x7C00 is infinity
        }
        return (short) (sign | h);
    }

    /** Lookup table F16 bits -> float, used for bulk conversion. */
    static final class HalfTable {
        static final float[] TABLE = new float[65536];

        static {
            for (int i = 0; i < 65536; i++) {
                TABLE[i] = halfToFloat((short) i);
            }
        }

        private HalfTable() {
        }
    }
}
