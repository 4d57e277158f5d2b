package dev.tessera.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class HalfFloatsTest {

    /** Nearest half by search over the value table, ties to the even encoding; the independent reference. */
    private static short nearestHalf(float f) {
        if (Float.isNaN(f)) {
            return 0x7e00;
        }
        int sign = Float.floatToRawIntBits(f) < 0 ? 0x8000 : 0;
        double x = Math.abs((double) f);
        if (x >= 65520.0) {
            return (short) (sign | 0x7c00);
        }
        int lo = 0;
        int hi = 0x7bff;
        while (lo < hi) { // largest h with value(h) <= x
            int mid = (lo + hi + 1) >>> 1;
            if (HalfFloats.halfToFloat((short) mid) <= x) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        double below = HalfFloats.halfToFloat((short) lo);
        double above = lo == 0x7bff ? 65536.0 : HalfFloats.halfToFloat((short) (lo + 1));
        int pick;
        if (x - below < above - x) {
            pick = lo;
        } else if (x - below > above - x) {
            pick = lo + 1;
        } else {
            pick = (lo & 1) == 0 ? lo : lo + 1;
        }
        return (short) (sign | pick);
    }

    @Test
    void everyHalfSurvivesWideningAndNarrowing() {
        for (int h = 0; h < 0x10000; h++) {
            float f = HalfFloats.halfToFloat((short) h);
            short back = HalfFloats.floatToHalf(f);
            boolean nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0;
            if (nan) {
                assertTrue(Float.isNaN(f), "half " + Integer.toHexString(h));
                assertTrue(Float.isNaN(HalfFloats.halfToFloat(back)));
                assertEquals(h & 0x8000, back & 0x8000, "NaN sign kept");
            } else {
                assertEquals(h, back & 0xffff, "half " + Integer.toHexString(h) + " -> " + f);
            }
        }
    }

    @Test
    void halfValuesAreTheIeeeOnes() {
        assertEquals(1.0f, HalfFloats.halfToFloat((short) 0x3c00));
        assertEquals(65504f, HalfFloats.halfToFloat((short) 0x7bff));
        assertEquals(0x1p-24f, HalfFloats.halfToFloat((short) 0x0001));
        assertEquals(0x1p-14f, HalfFloats.halfToFloat((short) 0x0400));
        assertEquals(Float.NEGATIVE_INFINITY, HalfFloats.halfToFloat((short) 0xfc00));
        assertEquals(-2.0f, HalfFloats.halfToFloat((short) 0xc000));
    }

    @Test
    void narrowingRoundsToNearestEven() {
        assertEquals(0x3c00, HalfFloats.floatToHalf(1.0f));
        assertEquals(0x2e66, HalfFloats.floatToHalf(0.1f));
        assertEquals(0x7bff, HalfFloats.floatToHalf(65519.99f));
        assertEquals(0x7c00, HalfFloats.floatToHalf(65520f));
        assertEquals((short) 0xfc00, HalfFloats.floatToHalf(-1e10f));
        assertEquals(0x0001, HalfFloats.floatToHalf(0x1p-24f));
        assertEquals(0x0000, HalfFloats.floatToHalf(0x1p-25f));                 // tie -> even (0)
        assertEquals(0x0001, HalfFloats.floatToHalf(Math.nextUp(0x1p-25f)));
        assertEquals(0x0002, HalfFloats.floatToHalf(0x1p-24f * 1.5f));          // tie 1|2 -> 2
        assertEquals(0x0400, HalfFloats.floatToHalf(Math.nextDown(0x1p-14f)));  // subnormal rounds up to the smallest normal
        assertEquals((short) 0x8000, HalfFloats.floatToHalf(-0.0f));
        assertEquals(0x3c00, HalfFloats.floatToHalf(1.0f + 0x1p-11f));          // tie 1|1+2^-10 -> even (1)
        assertEquals(0x3c02, HalfFloats.floatToHalf(1.0f + 3 * 0x1p-11f));      // tie -> even (0x3c02)
        assertTrue(Float.isNaN(HalfFloats.halfToFloat(HalfFloats.floatToHalf(Float.NaN))));
        assertEquals(0x7c00, HalfFloats.floatToHalf(Float.POSITIVE_INFINITY));
    }

    @Test
    void narrowingMatchesExhaustiveSearchOnRandomFloats() {
        Random rnd = new Random(17);
        for (int i = 0; i < 20000; i++) {
            float f;
            switch (i % 4) {
                case 0 -> f = (float) rnd.nextGaussian();
                case 1 -> f = (float) (rnd.nextGaussian() * 1e-5);          // subnormal range
                case 2 -> f = (float) (rnd.nextGaussian() * 30000);         // near overflow
                default -> f = Float.intBitsToFloat(rnd.nextInt());         // anything
            }
            short expected = nearestHalf(f);
            short got = HalfFloats.floatToHalf(f);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(HalfFloats.halfToFloat(got)));
            } else {
                assertEquals(expected, got, "float " + f + " (" + Integer.toHexString(Float.floatToRawIntBits(f)) + ")");
            }
        }
    }

    @Test
    void bfloat16RoundsToNearestEven() {
        assertEquals(0x3f80, HalfFloats.floatToBf16(1.0f));
        assertEquals(0x3f80, HalfFloats.floatToBf16(1.0f + 0x1p-8f));       // tie -> even
        assertEquals(0x3f82, HalfFloats.floatToBf16(1.0f + 3 * 0x1p-8f));   // tie -> even
        assertEquals(0x3f81, HalfFloats.floatToBf16(1.0f + 0x1p-8f + 0x1p-20f));
        assertEquals(0x7f80, HalfFloats.floatToBf16(Float.MAX_VALUE));      // overflows to +inf
        assertEquals((short) 0xff80, HalfFloats.floatToBf16(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.NaN))));
        // a NaN whose payload lies only in the low 16 bits must not turn into infinity
        assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.intBitsToFloat(0x7f800001)))));
        assertEquals(0.0f, HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.MIN_VALUE)));  // rounds to 0
        Random rnd = new Random(3);
        for (int i = 0; i < 20000; i++) {
            float f = Float.intBitsToFloat(rnd.nextInt());
            if (Float.isNaN(f)) {
                continue;
            }
            int bits = Float.floatToRawIntBits(f);
            float down = Float.intBitsToFloat(bits & 0xffff0000);
            float up = Float.intBitsToFloat((bits & 0xffff0000) + 0x10000);
            double dd = Math.abs((double) f - down);
            double du = Float.isInfinite(up) && !Float.isInfinite(f)
                    ? Math.abs(Math.scalb(1.0, 128) - Math.abs((double) f)) : Math.abs((double) up - f);
            short got = HalfFloats.floatToBf16(f);
            short expect = dd < du ? (short) (bits >>> 16) : dd > du ? (short) ((bits >>> 16) + 1)
                    : (((bits >>> 16) & 1) == 0 ? (short) (bits >>> 16) : (short) ((bits >>> 16) + 1));
            assertEquals(expect, got, Float.toString(f));
        }
    }
}
