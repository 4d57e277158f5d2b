package dev.tessera.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WordPieceTest {
    private static final List<String> TOKENS = List.of(
            "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "un", "##aff", "##able", "!",
            "cafe", "naive", ",", "中", "文", "play", "##ing", "##s", "a", "##b", "##c", "'", "s", ".", "=");

    private static Map<String, Integer> vocab() {
        Map<String, Integer> v = new LinkedHashMap<>();
        for (String t : TOKENS) {
            v.put(t, v.size());
        }
        return v;
    }

    private final Tokenizer bert = Tokenizers.wordPiece(vocab(), WordPieceConfig.bertUncased());

    private int id(String t) {
        return TOKENS.indexOf(t);
    }

    @Test
    void javadocExample() {
        assertArrayEquals(new int[] {2, 5, 13, 7, 8, 9, 6, 10, 3}, bert.encode("Hello, UNAFFABLE world!"));
    }

    @Test
    void lowercaseAccentsPunctuationAndClsSep() {
        assertArrayEquals(new int[] {id("[CLS]"), id("cafe"), id("naive"), id("!"), id("!"), id("[SEP]")},
                bert.encode("Café  NAÏVE!!"));
        assertArrayEquals(new int[] {id("cafe"), id("naive")}, bert.encodeOrdinary("CAFÉ\tnaïve"));
        assertArrayEquals(new int[] {id("play"), id("##ing"), id("'"), id("s"), id(".")}, bert.encodeOrdinary("Playing's."));
    }

    @Test
    void cjkCharactersAreSeparateWords() {
        assertArrayEquals(new int[] {id("中"), id("文"), id("hello")}, bert.encodeOrdinary("中文hello"));
    }

    @Test
    void continuationAndUnknown() {
        assertArrayEquals(new int[] {id("a"), id("##b"), id("##c"), id("##b")}, bert.encodeOrdinary("abcb"));
        // No "##d": the whole word is [UNK], not a partial match.
        assertArrayEquals(new int[] {id("[UNK]")}, bert.encodeOrdinary("abd"));
        // Over max_input_chars_per_word (100): [UNK] even though it would match.
        assertArrayEquals(new int[] {id("[UNK]"), id("hello")}, bert.encodeOrdinary("a" + "b".repeat(100) + " hello"));
        assertArrayEquals(new int[] {id("a"), id("##b")}, bert.encodeOrdinary("ab"));
    }

    @Test
    void controlCharactersAreCleaned() {
        assertArrayEquals(new int[] {id("hello"), id("world")}, bert.encodeOrdinary("hel\u0000lo\u200b\u00a0world"));
    }

    @Test
    void specialTokensOnlyWhenAllowed() {
        // Not allowed: "[", "mask" and "]" are ordinary words (none in this vocabulary).
        assertArrayEquals(new int[] {id("[UNK]"), id("[UNK]"), id("[UNK]"), id("hello")}, bert.encodeOrdinary("[MASK] hello"));
        assertArrayEquals(new int[] {id("[CLS]"), id("[MASK]"), id("hello"), id("[SEP]")},
                bert.encode("[MASK] hello", Set.of("[MASK]")));
        assertThrows(IllegalArgumentException.class, () -> bert.encode("x", Set.of("<s>")));
    }

    @Test
    void spansAndDecode() {
        Encoded e = bert.encodeWithSpans("Hello, unaffable!", Set.of());
        assertArrayEquals(new int[] {2, 5, 13, 7, 8, 9, 10, 3}, e.ids());
        assertArrayEquals(new int[] {0, 0, 5, 7, 9, 12, 16, 17}, e.starts());
        assertArrayEquals(new int[] {0, 5, 6, 9, 12, 16, 17, 17}, e.ends());
        assertEquals("[CLS] hello , unaffable ! [SEP]", bert.decode(e.ids()));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> bert.decode(new int[] {99}));
        assertTrue(ex.getMessage().contains("ids[0] = 99"), ex.getMessage());
    }

    @Test
    void readsBertTokenizerJson() throws Exception {
        StringBuilder vocab = new StringBuilder();
        for (int i = 0; i < TOKENS.size(); i++) {
            vocab.append(i == 0 ? "" : ",").append('"').append(TOKENS.get(i)).append("\":").append(i);
        }
        String json = """
                {"version":"1.0",
                 "added_tokens":[{"id":0,"content":"[PAD]","special":true},{"id":1,"content":"[UNK]","special":true},
                   {"id":2,"content":"[CLS]","special":true},{"id":3,"content":"[SEP]","special":true},
                   {"id":4,"content":"[MASK]","special":true}],
                 "normalizer":{"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,
                   "strip_accents":null,"lowercase":true},
                 "pre_tokenizer":{"type":"BertPreTokenizer"},
                 "post_processor":{"type":"TemplateProcessing",
                   "single":[{"SpecialToken":{"id":"[CLS]","type_id":0}},{"Sequence":{"id":"A","type_id":0}},
                             {"SpecialToken":{"id":"[SEP]","type_id":0}}]},
                 "decoder":{"type":"WordPiece","prefix":"##","cleanup":true},
                 "model":{"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##",
                   "max_input_chars_per_word":100,"vocab":{VOCAB}}}
                """.replace("VOCAB", vocab);
        Tokenizer t = TokenizerJson.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "bert.json");
        assertArrayEquals(bert.encode("Hello, UNAFFABLE wörld! Café 中文"), t.encode("Hello, UNAFFABLE wörld! Café 中文"));
        assertEquals(Set.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"), t.specialTokens().keySet());
    }

    // ---- Hugging Face BertNormalizer / BertPreTokenizer rules (issue 15, item 19) ----

    @Test
    void lineAndParagraphSeparatorsAreWhitespace() {
        // Unicode White_Space, as Hugging Face's char::is_whitespace: U+2028 (Zl) and U+2029 (Zp)
        // split words although Java's SPACE_SEPARATOR does not contain them.
        assertArrayEquals(new int[] {id("hello"), id("world")}, bert.encodeOrdinary("hello\u2028world"));
        assertArrayEquals(new int[] {id("hello"), id("world")}, bert.encodeOrdinary("hello\u2029world"));
        Tokenizer raw = Tokenizers.wordPiece(vocab(),
                new WordPieceConfig(false, false, false, false, "[UNK]", "##", 100, "[CLS]", "[SEP]"));
        // without clean_text the pre-tokenizer still splits on every White_Space code point
        assertArrayEquals(new int[] {id("hello"), id("world"), id("a")},
                raw.encodeOrdinary("hello\u000bworld\u0085a"));
    }

    @Test
    void punctuationIsTestedAfterAccentStripping() {
        // U+2260 NOT EQUAL TO is a math symbol; NFD turns it into '=' + U+0338, stripping the
        // mark leaves '=', which BertPreTokenizer isolates.
        assertArrayEquals(new int[] {id("a"), id("="), id("a")}, bert.encodeOrdinary("a\u2260a"));
        // the cased model keeps the accent, so the symbol stays inside the word
        Tokenizer cased = Tokenizers.wordPiece(vocab(), WordPieceConfig.bertCased());
        assertArrayEquals(new int[] {id("[UNK]")}, cased.encodeOrdinary("a\u2260a"));
    }

    @Test
    void unassignedCodePointsAreKeptAndPrivateUseIsDropped() {
        // clean_text drops Cc, Cf and Co only; U+0378 is unassigned (Cn) and stays, as [UNK]
        assertArrayEquals(new int[] {id("hello"), id("[UNK]"), id("world")}, bert.encodeOrdinary("hello \u0378 world"));
        assertArrayEquals(new int[] {id("hello"), id("world")}, bert.encodeOrdinary("hello \ue000world"));
    }

    @Test
    void cjkRangeSkipsTheGapBefore2B920() {
        String gap = new String(Character.toChars(0x2B820));    // not isolated: part of the word
        String ideograph = new String(Character.toChars(0x2B920));
        assertArrayEquals(new int[] {id("[UNK]")}, bert.encodeOrdinary("a" + gap + "a"));
        assertArrayEquals(new int[] {id("a"), id("[UNK]"), id("a")}, bert.encodeOrdinary("a" + ideograph + "a"));
        assertTrue(WordPieceTokenizer.isChineseChar(0x2B920) && !WordPieceTokenizer.isChineseChar(0x2B91F));
    }

    @Test
    void decodeOfNullIdsIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> bert.decode(null));
        assertTrue(e.getMessage().contains("ids"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> bert.decodeBytes(null));
        assertThrows(IllegalArgumentException.class, () -> bert.decodeLossy(null));
    }
}
