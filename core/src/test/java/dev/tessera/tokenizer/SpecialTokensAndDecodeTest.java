package dev.tessera.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SpecialTokensAndDecodeTest {
    private final Tokenizer cl = Tokenizers.cl100kBase();

    @Test
    void specialTokenSpellingIsOrdinaryTextByDefault() {
        int[] plain = cl.encode("<|endoftext|>");
        assertArrayEquals(new int[] {27, 91, 8862, 728, 428, 91, 29}, plain);
        assertArrayEquals(plain, cl.encodeOrdinary("<|endoftext|>"));
        assertArrayEquals(plain, cl.encode("<|endoftext|>", Set.of()));
        // Allowing a different special token does not enable this one.
        assertArrayEquals(plain, cl.encode("<|endoftext|>", Set.of("<|fim_prefix|>")));
    }

    @Test
    void allowedSpecialTokensAreRecognised() {
        assertArrayEquals(new int[] {100257}, cl.encode("<|endoftext|>", Set.of("<|endoftext|>")));
        int[] ids = cl.encode("a<|fim_prefix|>b<|endoftext|>c", Set.of("<|endoftext|>", "<|fim_prefix|>"));
        assertArrayEquals(new int[] {64, 100258, 65, 100257, 66}, ids);
        assertEquals("a<|fim_prefix|>b<|endoftext|>c", cl.decode(ids));
        assertArrayEquals(new int[] {50256}, Tokenizers.r50kBase().encode("<|endoftext|>", Set.of("<|endoftext|>")));
        assertArrayEquals(new int[] {199999, 200018},
                Tokenizers.o200kBase().encode("<|endoftext|><|endofprompt|>", Set.of("<|endoftext|>", "<|endofprompt|>")));
    }

    @Test
    void unknownAllowedSpecialIsRejectedWithItsName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cl.encode("x", Set.of("<|nope|>")));
        assertTrue(e.getMessage().contains("<|nope|>") && e.getMessage().contains("allowedSpecial"), e.getMessage());
    }

    @Test
    void decodeOutOfRangeNamesIndexAndBounds() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cl.decode(new int[] {15339, 100261}));
        assertTrue(e.getMessage().contains("ids[1] = 100261"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> cl.decodeBytes(new int[] {-1}));
        assertTrue(e.getMessage().contains("ids[0] = -1") && e.getMessage().contains("100277"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> cl.encode(null));
    }

    @Test
    void strictDecodeNamesTheOffsetAndLossyReplaces() {
        int[] ids = cl.encode("a😀");
        // The emoji's 4 bytes are split over several tokens; drop the last one.
        int[] cut = java.util.Arrays.copyOf(ids, ids.length - 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cl.decode(cut));
        assertTrue(e.getMessage().contains("byte offset 1"), e.getMessage());
        assertEquals("a\uFFFD", cl.decodeLossy(cut));
    }

    @Test
    void loneSurrogateEncodesAsReplacementCharacter() {
        assertArrayEquals(cl.encode("x\uFFFDy"), cl.encode("x\uD800y"));
    }

    @Test
    void roundTripsOnRandomStringsAndBytes() {
        for (TiktokenEncoding enc : TiktokenEncoding.values()) {
            BpeTokenizer t = (BpeTokenizer) Tokenizers.get(enc);
            for (String s : TestTexts.random(77, 2000, 40)) {
                assertEquals(s, t.decode(t.encode(s)));
                assertArrayEquals(s.getBytes(StandardCharsets.UTF_8), t.decodeBytes(t.encode(s)));
            }
            SplittableRandom r = new SplittableRandom(5);
            for (int i = 0; i < 300; i++) {
                byte[] b = new byte[r.nextInt(300)];
                for (int j = 0; j < b.length; j++) {
                    b[j] = (byte) r.nextInt(256);
                }
                assertArrayEquals(b, t.decodeBytes(t.encodeBytes(b)));
            }
        }
    }

    @Test
    void spansCoverTheSourceText() {
        String s = "Hi 👩‍👧 <|endoftext|> 中文!";
        Encoded e = cl.encodeWithSpans(s, Set.of("<|endoftext|>"));
        assertArrayEquals(cl.encode(s, Set.of("<|endoftext|>")), e.ids());
        assertEquals(0, e.starts()[0]);
        assertEquals(s.length(), e.ends()[e.size() - 1]);
        for (int i = 0; i < e.size(); i++) {
            assertTrue(e.starts()[i] < e.ends()[i]);
            if (i > 0) {
                assertTrue(e.starts()[i] >= e.starts()[i - 1] && e.starts()[i] <= e.ends()[i - 1]);
            }
            String piece = s.substring(e.starts()[i], e.ends()[i]);
            byte[] tokenBytes = cl.decodeBytes(new int[] {e.ids()[i]});
            String tokenText = new String(tokenBytes, StandardCharsets.UTF_8);
            if (!tokenText.contains("\uFFFD")) {
                assertEquals(tokenText, piece);
            }
        }
        int special = java.util.Arrays.stream(e.ids()).boxed().toList().indexOf(100257);
        assertEquals("<|endoftext|>", s.substring(e.starts()[special], e.ends()[special]));
    }
}
