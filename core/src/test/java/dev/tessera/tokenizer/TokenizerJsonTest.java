package dev.tessera.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerJsonTest {
    @TempDir
    Path dir;

    @Test
    void gpt2JsonBuiltFromR50kRanksMatchesTheRankFile() throws Exception {
        Path json = dir.resolve("gpt2.json");
        TokenizerJson.writeFromTiktoken(TiktokenEncoding.R50K_BASE, json);
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        // 50256 byte-level tokens plus <|endoftext|>, which is in the model's vocabulary (as in
        // GPT-2's own file) so that Hugging Face keeps its id
        assertEquals(50257, root.path("model").path("vocab").size());
        assertEquals(50256, root.path("model").path("vocab").path("<|endoftext|>").asInt());
        assertEquals(31373, root.path("model").path("vocab").path("hello").asInt());
        assertEquals(995, root.path("model").path("vocab").path("Ġworld").asInt());
        // GPT-2's first merge is "Ġ t" and every token of 2+ bytes has at least one merge.
        assertEquals("Ġ t", root.path("model").path("merges").get(0).asText());
        assertTrue(root.path("model").path("merges").size() >= 50000);
        Tokenizer fromJson = TokenizerJson.read(json);
        Tokenizer ranks = Tokenizers.r50kBase();
        List<String> texts = new ArrayList<>(TestTexts.MIXED);
        texts.addAll(TestTexts.random(11, 3000, 30));
        for (String t : texts) {
            assertArrayEquals(ranks.encode(t), fromJson.encode(t), () -> ScannerRegexEquivalenceTest.escape(t));
        }
        assertArrayEquals(new int[] {50256}, fromJson.encode("<|endoftext|>", Set.of("<|endoftext|>")));
        assertEquals(50257, fromJson.vocabSize());
    }

    @Test
    void cl100kJsonMatchesTheRankFile() throws Exception {
        Path json = dir.resolve("cl100k.json");
        TokenizerJson.writeFromTiktoken(TiktokenEncoding.CL100K_BASE, json);
        Tokenizer fromJson = TokenizerJson.read(json);
        for (String t : TestTexts.MIXED) {
            assertArrayEquals(Tokenizers.cl100kBase().encode(t), fromJson.encode(t), t);
        }
        assertArrayEquals(Tokenizers.cl100kBase().encode(TestTexts.corpus(30_000)), fromJson.encode(TestTexts.corpus(30_000)));
    }

    private static final String SMALL = """
            {"version":"1.0","added_tokens":[{"id":9,"content":"<s>","special":true}],
             "normalizer":null,
             "pre_tokenizer":{"type":"Sequence","pretokenizers":[
                {"type":"Split","pattern":{"Regex":"PATTERN"},"behavior":"Isolated","invert":false},
                {"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":false}]},
             "decoder":{"type":"ByteLevel"},
             "model":{"type":"BPE","ignore_merges":false,
                "vocab":{"a":0,"b":1,"c":2,"Ġ":3,"ab":4,"abc":5,"Ġa":6,"bc":7,"d":8},
                "merges":[["a","b"],"ab c",["Ġ","a"],"b c"]}}
            """;

    private static Tokenizer small(String pattern) throws IOException {
        String json = SMALL.replace("PATTERN", pattern.replace("\\", "\\\\"));
        return TokenizerJson.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "small.json");
    }

    @Test
    void readsSplitPatternsMergesInBothFormsAndAddedTokens() throws Exception {
        Tokenizer t = small(SplitPattern.CL100K.regex());
        // " abb": (a,b) is merge 0 and wins over (Ġ,a), and "Ġab" is not a token.
        assertArrayEquals(new int[] {5, 3, 4, 1}, t.encode("abc abb"));
        assertArrayEquals(new int[] {3, 5}, t.encode(" abc"));
        assertArrayEquals(new int[] {6, 8}, t.encode(" ad"));
        assertArrayEquals(new int[] {4, 9, 2}, t.encode("ab<s>c", Set.of("<s>")));
        assertEquals("abc abb", t.decode(new int[] {5, 3, 4, 1}));
        // Merge order, not vocab order: "bc" (merge 3) loses to "ab" (merge 0) in "abc".
        assertArrayEquals(new int[] {5}, t.encode("abc"));
        assertArrayEquals(new int[] {2, 7}, t.encode("cbc"));
    }

    @Test
    void unknownSplitPatternFallsBackToJavaRegex() throws Exception {
        Tokenizer t = small("[a-c]+|\\s");
        assertArrayEquals(new int[] {5, 3, 4, 8}, t.encode("abc abd"));
    }

    @Test
    void rejectsNonByteLevelVocabularyWithTheToken() {
        String json = SMALL.replace("PATTERN", "x").replace("\"d\":8", "\"\u4e2d\":8");
        IOException e = assertThrows(IOException.class,
                () -> TokenizerJson.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "bad.json"));
        assertTrue(e.getMessage().contains("bad.json") && e.getMessage().contains("\u4e2d"), e.getMessage());
    }

    @Test
    void byteLevelMapIsGpt2s() {
        assertEquals("Ġ", ByteLevel.encode(new byte[] {' '}));
        assertEquals("Ċ", ByteLevel.encode(new byte[] {'\n'}));
        assertEquals("ÃŃ", ByteLevel.encode("í".getBytes(StandardCharsets.UTF_8)));
        for (int b = 0; b < 256; b++) {
            assertArrayEquals(new byte[] {(byte) b}, ByteLevel.decode(ByteLevel.encode(new byte[] {(byte) b})));
        }
        assertTrue(Files.exists(dir));
    }
}
