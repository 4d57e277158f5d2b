package dev.tessera.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Ids identical to jtokkit (the oracle) for the four tiktoken encodings. */
class TiktokenParityTest {
    private static final EncodingRegistry REGISTRY = Encodings.newLazyEncodingRegistry();

    private static List<String> texts(long seed) {
        List<String> t = new ArrayList<>(TestTexts.MIXED);
        t.addAll(TestTexts.random(seed, 10_000, 30));
        t.add(TestTexts.corpus(20_000));
        t.add(" ".repeat(300) + "x" + "\n".repeat(200) + "ab".repeat(400)); // long pieces: heap merge path
        t.add("aGVsbG8gd29ybGQ".repeat(50)); // base64-like long word
        return t;
    }

    private static void check(Tokenizer ours, EncodingType type, long seed) {
        Encoding jt = REGISTRY.getEncoding(type);
        for (String s : texts(seed)) {
            int[] expected = jt.encodeOrdinary(s).toArray();
            int[] actual = ours.encodeOrdinary(s);
            assertArrayEquals(expected, actual, () -> type + " on " + ScannerRegexEquivalenceTest.escape(s));
            assertEquals(s, ours.decode(actual));
        }
    }

    @Test
    void r50k() {
        check(Tokenizers.r50kBase(), EncodingType.R50K_BASE, 1);
    }

    @Test
    void p50k() {
        check(Tokenizers.p50kBase(), EncodingType.P50K_BASE, 2);
    }

    @Test
    void cl100k() {
        check(Tokenizers.cl100kBase(), EncodingType.CL100K_BASE, 3);
    }

    @Test
    void o200k() {
        check(Tokenizers.o200kBase(), EncodingType.O200K_BASE, 4);
    }

    @Test
    void javadocExamples() {
        assertArrayEquals(new int[] {15339, 1917}, Tokenizers.cl100kBase().encode("hello world"));
        assertArrayEquals(new int[] {31373, 995}, Tokenizers.r50kBase().encode("hello world"));
        assertArrayEquals(new int[] {24912, 2375}, Tokenizers.o200kBase().encode("hello world"));
    }

    /**
     * Outputs of tiktoken itself (the truth), from jtokkit issue #33, where jtokkit before
     * 0.5.1 used ASCII-only {@code \s} and got "\u3000\u3000a" wrong. Our whitespace class
     * is Unicode White_Space, like tiktoken's Rust regex.
     */
    @Test
    void knownTiktokenOutputs() {
        Tokenizer cl = Tokenizers.cl100kBase();
        assertArrayEquals(new int[] {44529}, cl.encode("\u3000\u3000"));
        assertArrayEquals(new int[] {23249, 23249, 64}, cl.encode("\u3000\u3000a"));
    }

    @Test
    void everyVocabularyTokenRoundTrips() throws Exception {
        for (TiktokenEncoding e : TiktokenEncoding.values()) {
            BpeTokenizer t = (BpeTokenizer) Tokenizers.get(e);
            BpeVocab v = t.vocab();
            byte[][] ranks;
            try (var in = getClass().getClassLoader().getResourceAsStream(e.resource())) {
                ranks = TiktokenRanks.read(in, e.resource());
            }
            int checked = 0;
            for (int id = 0; id < v.size(); id++) {
                if (!v.isMergeable(id)) {
                    continue;
                }
                byte[] b = v.tokenBytes(id);
                assertArrayEquals(ranks[id], b, e + " id " + id);
                assertArrayEquals(new int[] {id}, t.encodeBytes(b), e + " id " + id);
                assertArrayEquals(b, t.decodeBytes(new int[] {id}));
                checked++;
            }
            long inFile = java.util.Arrays.stream(ranks).filter(java.util.Objects::nonNull).count();
            assertEquals(inFile, checked, e.toString());
            for (var sp : t.specialTokens().entrySet()) {
                assertEquals(sp.getKey(), t.decode(new int[] {sp.getValue()}));
            }
        }
    }
}
