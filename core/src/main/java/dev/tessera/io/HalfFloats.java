package dev.tessera.io;

/**
 * Conversions between float32 and the two 16-bit float formats, bit-exact and without Java 20's
 * {@code Float.float16ToFloat}. Widening is exact; narrowing rounds to nearest, ties to even,
 * overflows to infinity, keeps subnormals, and keeps NaN a (quiet) NaN with its sign.
 */
final class HalfFloats {

    private HalfFloats() {}

    /** IEEE binary16 bits to float (exact). */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0) {
            // zero or subnormal: mant * 2^-24, exact in float
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        if (exp == 31) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** Float to IEEE binary16 bits, round to nearest even. */
    static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs >= 0x7f800000) {
            if (abs == 0x7f800000) {
                return (short) (sign | 0x7c00);
            }
            return (short) (sign | 0x7e00 | ((abs >>> 13) & 0x3ff)); // quiet NaN, top payload bits kept
        }
        if (abs >= 0x477ff000) {
            // >= 65520, halfway between 65504 (largest half) and 65536: rounds to infinity
            return (short) (sign | 0x7c00);
        }
        if (abs >= 0x38800000) {
            // normal half: rebias the exponent (127 -> 15) and round the 13 dropped bits to even;
            // a carry out of the mantissa correctly bumps the exponent
            int v = abs - (112 << 23);
            return (short) (sign | ((v + 0xfff + ((v >>> 13) & 1)) >>> 13));
        }
        if (abs <= 0x33000000) {
            // <= 2^-25, half of the smallest subnormal: rounds to (signed) zero, 2^-25 itself by ties-to-even
            return (short) sign;
        }
        // subnormal half: value in units of 2^-24 is the 24-bit significand shifted right
        int exp = abs >>> 23;
        int sig = (abs & 0x7fffff) | 0x800000;
        int shift = 126 - exp; // 14..24
        int r = sig >>> shift;
        int rem = sig & ((1 << shift) - 1);
        int halfway = 1 << (shift - 1);
        if (rem > halfway || (rem == halfway && (r & 1) == 1)) {
            r++; // may carry into 0x400, the smallest normal, which is the right encoding
        }
        return (short) (sign | r);
    }

    /** bfloat16 bits to float (exact). */
    static float bf16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }

    /** Float to bfloat16 bits, round to nearest even. */
    static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x0040); // NaN stays a quiet NaN (truncating could make it Inf)
        }
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }
}
