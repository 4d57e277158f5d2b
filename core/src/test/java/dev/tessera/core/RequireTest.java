package dev.tessera.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RequireTest {

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void messagesNameTheArgumentTheExpectationAndTheValue() {
        assertEquals("nHead must be > 0 but was 0", message(() -> Require.positive("nHead", 0)));
        assertEquals("steps must be > 0 but was -3", message(() -> Require.positive("steps", -3L)));
        assertEquals("lr must be finite and > 0 but was NaN", message(() -> Require.positive("lr", Double.NaN)));
        assertEquals("eps must be finite and > 0 but was Infinity",
                message(() -> Require.positive("eps", Double.POSITIVE_INFINITY)));
        assertEquals("window must be >= 0 but was -1", message(() -> Require.nonNegative("window", -1)));
        assertEquals("decay must be finite and >= 0 but was -0.5", message(() -> Require.nonNegative("decay", -0.5)));
        assertEquals("dropout must be in [0, 1) but was 1.0", message(() -> Require.inHalfOpen("dropout", 1.0, 0, 1)));
        assertEquals("topP must be in [0, 1] but was NaN", message(() -> Require.inRange("topP", Double.NaN, 0, 1)));
        assertEquals("k must be in [1, 8] but was 9", message(() -> Require.inRange("k", 9, 1, 8)));
        assertEquals("beta must be in [0.5, 2.5) but was 2.5", message(() -> Require.inHalfOpen("beta", 2.5, 0.5, 2.5)));
        assertEquals("loss must be finite but was -Infinity", message(() -> Require.finite("loss", Double.NEGATIVE_INFINITY)));
        assertEquals("rope must not be null", message(() -> Require.nonNull("rope", null)));
        assertEquals("x must be even but was 3", message(() -> Require.that(false, "x", "even", 3)));
    }

    @Test
    void validValuesPassThroughUnchanged() {
        assertEquals(4, Require.positive("n", 4));
        assertEquals(0, Require.nonNegative("n", 0));
        assertEquals(0.0, Require.inHalfOpen("p", 0.0, 0, 1));
        assertEquals(1.0, Require.inRange("p", 1.0, 0, 1));
        assertEquals("a", Require.nonNull("s", "a"));
        Require.that(true, "x", "anything", 1);
    }
}
