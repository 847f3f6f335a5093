package dev.groupflow.safetensors;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The element types a safetensors header may name, with their size in bytes. All multi-byte types are stored
 * little-endian. Only the floating-point types {@link #F64}, {@link #F32}, {@link #F16} and {@link #BF16} can be
 * read as {@code float}; the others are recognised (so a header that lists them still parses and their infos stay
 * available) but reading them as float is an error.
 */
public enum Dtype {
    BOOL(1, false),
    U8(1, false),
    I8(1, false),
    /** 8-bit float, 5 exponent / 2 mantissa bits. Recognised, not converted. */
    F8_E5M2(1, false),
    /** 8-bit float, 4 exponent / 3 mantissa bits. Recognised, not converted. */
    F8_E4M3(1, false),
    I16(2, false),
    U16(2, false),
    /** IEEE 754 binary16. */
    F16(2, true),
    /** bfloat16: the upper 16 bits of an IEEE binary32. */
    BF16(2, true),
    I32(4, false),
    U32(4, false),
    /** IEEE 754 binary32. */
    F32(4, true),
    /** IEEE 754 binary64; narrowed to float (round to nearest) when read as float. */
    F64(8, true),
    I64(8, false),
    U64(8, false);

    private final int size;
    private final boolean floatReadable;

    Dtype(int size, boolean floatReadable) {
        this.size = size;
        this.floatReadable = floatReadable;
    }

    /** Bytes per element. */
    public int size() {
        return size;
    }

    /** Whether tensors of this type can be read widened/narrowed to {@code float}. */
    public boolean isFloatReadable() {
        return floatReadable;
    }

    /** The dtype spelled exactly as in a safetensors header ("F32", "BF16", ...), if known. */
    public static Optional<Dtype> forName(String name) {
        for (Dtype d : values()) {
            if (d.name().equals(name)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    /** Comma-separated list of all known names, for error messages. */
    static String knownNames() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }
}
