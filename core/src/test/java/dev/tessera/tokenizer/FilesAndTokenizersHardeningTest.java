package dev.tessera.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 15, items 20-24: tokenizer.json round trips, NFC and special tokens, huge pieces, Unicode versions. */
class FilesAndTokenizersHardeningTest {
    @TempDir
    Path dir;

    private static final ObjectMapper JSON = new ObjectMapper();

    // ---- item 20: NFC runs on the text between special tokens, not across them ----

    @Test
    void nfcDoesNotSwallowAnAllowedSpecialTokenFollowedByACombiningMark() {
        BpeTokenizer r50k = (BpeTokenizer) Tokenizers.r50kBase();
        Tokenizer nfc = new NfcTokenizer(r50k);
        String eot = "<|endoftext|>";
        // '>' + U+0338 composes to U+226F under NFC; the special token must still be found
        String text = "hi" + eot + "\u0338x";
        int[] ids = nfc.encode(text, Set.of(eot));
        List<Integer> expected = new ArrayList<>();
        for (int id : r50k.encodeOrdinary("hi")) {
            expected.add(id);
        }
        expected.add(50256);
        for (int id : r50k.encodeOrdinary(Normalizer.normalize("\u0338x", Normalizer.Form.NFC))) {
            expected.add(id);
        }
        assertArrayEquals(expected.stream().mapToInt(Integer::intValue).toArray(), ids);
        Encoded e = nfc.encodeWithSpans(text, Set.of(eot));
        assertArrayEquals(ids, e.ids());
        int at = expected.indexOf(50256);
        assertEquals(2, e.starts()[at]);
        assertEquals(2 + eot.length(), e.ends()[at]);
        for (int i = 0; i < ids.length; i++) {
            assertTrue(e.starts()[i] <= e.ends()[i] && e.ends()[i] <= text.length(), "span " + i);
        }
        // not allowed: the spelling is ordinary text and is normalised with the rest
        assertArrayEquals(r50k.encodeOrdinary(Normalizer.normalize(text, Normalizer.Form.NFC)), nfc.encodeOrdinary(text));
        assertArrayEquals(r50k.encodeOrdinary(Normalizer.normalize(text, Normalizer.Form.NFC)), nfc.encode(text, Set.of()));
    }

    // ---- item 21: special tokens keep their ids when Hugging Face reads the file ----

    /**
     * Hugging Face's rule for {@code added_tokens} when it deserialises a tokenizer.json: the
     * written ids are not used; each added token, in file order, gets the model vocabulary's
     * id of its content if the model has it, otherwise the next free id after the model's
     * vocabulary (vocab size, or the largest added id + 1 once that is above it).
     */
    static Map<String, Integer> huggingFaceAddedTokenIds(JsonNode root) {
        JsonNode vocab = root.path("model").path("vocab");
        int vocabSize = vocab.size();
        Map<String, Integer> out = new HashMap<>();
        int maxAdded = -1;
        for (JsonNode t : root.path("added_tokens")) {
            String content = t.path("content").asText();
            int id;
            if (vocab.has(content)) {
                id = vocab.get(content).asInt();
            } else if (maxAdded < 0) {
                id = vocabSize;
            } else {
                id = maxAdded >= vocabSize ? maxAdded + 1 : vocabSize;
            }
            out.put(content, id);
            maxAdded = Math.max(maxAdded, id);
        }
        return out;
    }

    @Test
    void cl100kSpecialTokensKeepTheirIdsUnderBothReadingRules() throws Exception {
        Path json = dir.resolve("cl100k.json");
        TokenizerJson.writeFromTiktoken(TiktokenEncoding.CL100K_BASE, json);
        JsonNode root = JSON.readTree(json.toFile());
        Map<String, Integer> hf = huggingFaceAddedTokenIds(root);
        assertEquals(100257, hf.get("<|endoftext|>"));
        for (JsonNode t : root.path("added_tokens")) {
            assertEquals(t.path("id").asInt(), hf.get(t.path("content").asText()), t.toString());
        }
        Tokenizer back = TokenizerJson.read(json);
        assertArrayEquals(new int[] {100257}, back.encode("<|endoftext|>", Set.of("<|endoftext|>")));
        assertEquals(TiktokenEncoding.CL100K_BASE.specialTokens(), back.specialTokens());
        assertEquals("<|endoftext|>", back.decode(new int[] {100257}));
        assertArrayEquals(Tokenizers.cl100kBase().encode("hello <|endoftext|> world", Set.of("<|endoftext|>")),
                back.encode("hello <|endoftext|> world", Set.of("<|endoftext|>")));
    }

    // ---- item 22: Split with behavior Removed and invert true (GPT-4 / GPT-4o files) ----

    private static final String SMALL = """
            {"version":"1.0","added_tokens":[{"id":9,"content":"<s>","special":true}],
             "normalizer":null,
             "pre_tokenizer":{"type":"Sequence","pretokenizers":[
                {"type":"Split","pattern":{"Regex":"PATTERN"},"behavior":"Removed","invert":true},
                {"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":false}]},
             "decoder":{"type":"ByteLevel"},
             "model":{"type":"BPE","ignore_merges":false,
                "vocab":{"a":0,"b":1,"c":2,"Ġ":3,"ab":4,"abc":5,"Ġa":6,"bc":7,"d":8},
                "merges":[["a","b"],"ab c",["Ġ","a"],"b c"]}}
            """;

    private static Tokenizer read(String json) throws IOException {
        return TokenizerJson.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "t.json");
    }

    @Test
    void splitRemovedInvertedKeepsTheMatchesAndDropsTheRest() throws Exception {
        // the tiktoken patterns match every character, so nothing is removed
        Tokenizer known = read(SMALL.replace("PATTERN", SplitPattern.CL100K.spellings().get(1).replace("\\", "\\\\")));
        assertArrayEquals(new int[] {5, 3, 4, 1}, known.encode("abc abb"));
        assertArrayEquals(new int[] {4, 9, 2}, known.encode("ab<s>c", Set.of("<s>")));
        // a pattern that leaves gaps: the gaps (" " and "d") are removed, as Hugging Face does
        Tokenizer gaps = read(SMALL.replace("PATTERN", "[a-c]+"));
        assertArrayEquals(new int[] {5, 4}, gaps.encode("abc abd"));
        assertArrayEquals(new int[] {}, gaps.encode(" d "));
        Encoded e = gaps.encodeWithSpans("d abc", Set.of());
        assertArrayEquals(new int[] {5}, e.ids());
        assertEquals(2, e.starts()[0]);
        assertEquals(5, e.ends()[0]);
        // other combinations still fail with the behaviour named
        IOException x = assertThrows(IOException.class,
                () -> read(SMALL.replace("PATTERN", "a").replace("\"invert\":true", "\"invert\":false")));
        assertTrue(x.getMessage().contains("Removed"), x.getMessage());
    }

    @Test
    void gpt4StyleFileMatchesCl100k() throws Exception {
        Path json = dir.resolve("gpt4.json");
        TokenizerJson.writeFromTiktoken(TiktokenEncoding.CL100K_BASE, json);
        ObjectNode root = (ObjectNode) JSON.readTree(json.toFile());
        ObjectNode split = (ObjectNode) root.path("pre_tokenizer").path("pretokenizers").get(0);
        split.put("behavior", "Removed");
        split.put("invert", true);
        split.putObject("pattern").put("Regex", SplitPattern.CL100K.spellings().get(1));
        JSON.writeValue(json.toFile(), root);
        Tokenizer t = TokenizerJson.read(json);
        for (String s : TestTexts.MIXED) {
            assertArrayEquals(Tokenizers.cl100kBase().encode(s), t.encode(s), s);
        }
    }

    // ---- item 23: one huge pre-token in bounded memory ----

    /** Obviously correct tiktoken merge loop (quadratic): lowest-rank adjacent pair, leftmost on ties. */
    private static int[] naiveBpe(BpeVocab v, byte[] b) {
        List<int[]> parts = new ArrayList<>(); // [start, end)
        for (int i = 0; i < b.length; i++) {
            parts.add(new int[] {i, i + 1});
        }
        while (true) {
            int best = Integer.MAX_VALUE;
            int at = -1;
            for (int i = 0; i + 1 < parts.size(); i++) {
                int id = v.idOf(b, parts.get(i)[0], parts.get(i + 1)[1]);
                if (id >= 0 && v.isMergeable(id) && rank(v, id) < best) {
                    best = rank(v, id);
                    at = i;
                }
            }
            if (at < 0) {
                break;
            }
            parts.get(at)[1] = parts.get(at + 1)[1];
            parts.remove(at + 1);
        }
        return parts.stream().mapToInt(p -> v.idOf(b, p[0], p[1])).toArray();
    }

    private static int rank(BpeVocab v, int id) {
        return id; // tiktoken vocabularies: the rank is the id
    }

    @Test
    void longPiecesMergeExactlyLikeTheQuadraticReference() {
        BpeTokenizer cl = (BpeTokenizer) Tokenizers.cl100kBase();
        SplittableRandom rnd = new SplittableRandom(15);
        List<byte[]> inputs = new ArrayList<>();
        inputs.add("a".repeat(700).getBytes(StandardCharsets.UTF_8));
        inputs.add(" ".repeat(333).getBytes(StandardCharsets.UTF_8));
        inputs.add("ab".repeat(250).getBytes(StandardCharsets.UTF_8));
        inputs.add(TestTexts.corpus(900).getBytes(StandardCharsets.UTF_8));
        for (int k = 0; k < 30; k++) {
            byte[] b = new byte[65 + rnd.nextInt(600)];
            String alphabet = k % 2 == 0 ? "abe t" : "\u00e9\u4e2d x=";
            byte[] al = alphabet.getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < b.length; i++) {
                b[i] = k % 3 == 0 ? (byte) rnd.nextInt(256) : al[rnd.nextInt(al.length)];
            }
            inputs.add(b);
        }
        for (byte[] b : inputs) {
            assertArrayEquals(naiveBpe(cl.vocab(), b), cl.encodeBytes(b), () -> b.length + " bytes");
        }
    }

    @Test
    void aHugePieceEncodesInASmallHeap() throws Exception {
        // 16 M letters are one cl100k piece. The child JVM has 256 MB: the piece's String and
        // UTF-8 bytes take 32 MB, so the merge must work in a few bytes per input byte.
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                HugePieceProbe.class.getName(), "16000000")
                .redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "child JVM did not finish");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        assertTrue(text.contains("ok"), text);
    }

    // ---- item 24: Unicode version of the running JDK ----

    @Test
    void unicodeVersionOfTheRunningJdkDecidesNewCharacters() {
        // U+1E290 TOTO LETTER PA was assigned in Unicode 14.0. Java 17 and 18 implement Unicode
        // 13.0, where it is unassigned; Java 19 and later implement Unicode 14.0 or newer.
        int toto = 0x1E290;
        boolean unicode14 = Runtime.version().feature() >= 19;
        assertEquals(unicode14, Character.isLetter(toto), "Java " + Runtime.version());
        assertEquals(unicode14 ? Character.OTHER_LETTER : Character.UNASSIGNED, Character.getType(toto));
        // The documented consequence for cl100k: with Unicode 14 "a" + U+1E290 is one letter
        // piece (tiktoken's split); with Unicode 13 the new character is split off as "other".
        String text = "a" + new String(Character.toChars(toto));
        PieceScanner s = SplitPattern.CL100K.scanner();
        int end = s.next(text, 0, text.length());
        assertEquals(unicode14 ? text.length() : 1, end);
    }

    // ---- the same class of defect in the other readers: malformed, duplicated, wrong-typed, oversized ----

    private static void rejects(String json, String... fragments) {
        IOException e = assertThrows(IOException.class, () -> read(json));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "expected '" + f + "' in: " + e.getMessage());
        }
        assertTrue(e.getMessage().contains("t.json"), e.getMessage());
    }

    @Test
    void malformedTokenizerJsonIsRejectedWithTheField() {
        String ok = SMALL.replace("PATTERN", "[a-c]+");
        read(ok.length() > 0 ? ok : null, false);
        rejects(ok + "{\"model\":{}}", "not a valid tokenizer.json");           // a second root object
        rejects(ok.replace("\"d\":8", "\"d\":8,\"a\":7"), "not a valid tokenizer.json", "a");   // duplicate key
        rejects(ok.replace("\"d\":8", "\"d\":\"8\""), "model.vocab entry d", "\"8\"");        // id as a string
        rejects(ok.replace("\"d\":8", "\"d\":8.5"), "model.vocab entry d", "8.5");
        rejects(ok.replace("\"d\":8", "\"d\":2000000000"), "model.vocab entry d", "2000000000");
        rejects(ok.replace("\"id\":9", "\"id\":-1"), "added token <s> id");
        rejects(ok.replace("[{\"id\":9,\"content\":\"<s>\",\"special\":true}]",
                "[{\"id\":9,\"content\":\"<s>\",\"special\":true},{\"id\":10,\"content\":\"<s>\",\"special\":true}]"),
                "appears twice");
        rejects(ok.replace("\"content\":\"<s>\"", "\"content\":5"), "string content");
        rejects(ok.replace("[a-c]+", "[a-c"), "does not compile");
        rejects("", "empty file");
        rejects("[1, 2]", "must be a JSON object");
    }

    private static void read(String json, boolean unused) {
        try {
            read(json);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void addedTokenSpelledLikeAVocabTokenTakesTheVocabIdAsInHuggingFace() throws Exception {
        Tokenizer t = read(SMALL.replace("PATTERN", "[a-c]+").replace("\"content\":\"<s>\"", "\"content\":\"ab\""));
        assertEquals(4, t.specialTokens().get("ab"));
    }

    @Test
    void malformedBertFilesAreRejected() {
        String bert = """
                {"added_tokens":[{"id":0,"content":"[UNK]","special":true}],
                 "normalizer":{"type":"BertNormalizer"},"pre_tokenizer":{"type":"BertPreTokenizer"},
                 "post_processor":{"type":"BertProcessing","sep":["[UNK]",0],"cls":["[UNK]",0]},
                 "model":{"type":"WordPiece","unk_token":"[UNK]","vocab":{"[UNK]":0,"a":1}}}
                """;
        read(bert, false);
        rejects(bert.replace(",\"cls\":[\"[UNK]\",0]", ""), "BertProcessing needs cls and sep");
        rejects(bert.replace("\"a\":1", "\"a\":true"), "model.vocab entry a");
        rejects(bert.replace("\"a\":1", "\"a\":0"), "vocab id 0");
        rejects(bert.replace("\"model\":{", "\"model\":{\"max_input_chars_per_word\":\"x\","), "max_input_chars_per_word");
        rejects(bert.replace("\"content\":\"[UNK]\"", "\"content\":\"[NEW]\""), "[NEW]", "not in model.vocab");
    }

    @Test
    void tiktokenRankFilesRejectHugeRanksAndEmptyTokens() {
        byte[] huge = "YQ== 2000000000\n".getBytes(StandardCharsets.US_ASCII);
        IOException e = assertThrows(IOException.class, () -> TiktokenRanks.read(new ByteArrayInputStream(huge), "r.tiktoken"));
        assertTrue(e.getMessage().contains("r.tiktoken line 1") && e.getMessage().contains("2000000000"), e.getMessage());
        byte[] empty = "YQ== 0\n= 1\n".getBytes(StandardCharsets.US_ASCII);
        e = assertThrows(IOException.class, () -> TiktokenRanks.read(new ByteArrayInputStream(empty), "r.tiktoken"));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void inMemoryVocabulariesAreChecked() {
        Map<String, Integer> huge = new HashMap<>(Map.of("[UNK]", 0, "a", 2_000_000_000));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tokenizers.wordPiece(huge, WordPieceConfig.bertCased()));
        assertTrue(e.getMessage().contains("vocab id of a") && e.getMessage().contains("2000000000"), e.getMessage());
        Map<String, Integer> nullId = new HashMap<>(Map.of("[UNK]", 0));
        nullId.put("a", null);
        assertThrows(IllegalArgumentException.class, () -> Tokenizers.wordPiece(nullId, WordPieceConfig.bertCased()));
        byte[] ranks = "YQ== 0\n".getBytes(StandardCharsets.US_ASCII);
        e = assertThrows(IllegalArgumentException.class, () -> Tokenizers.fromTiktoken(new ByteArrayInputStream(ranks),
                "r.tiktoken", SplitPattern.CL100K, null));
        assertTrue(e.getMessage().contains("specialTokens"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tokenizers.fromTiktoken(new ByteArrayInputStream(ranks),
                "r.tiktoken", SplitPattern.CL100K, Map.of("<s>", 2_000_000_000)));
        assertTrue(e.getMessage().contains("2000000000"), e.getMessage());
    }
}
