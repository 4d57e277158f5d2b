package dev.tessera.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTrainerTest {
    @TempDir
    Path dir;

    private static List<String> corpus() {
        List<String> texts = new ArrayList<>();
        String big = TestTexts.corpus(150_000);
        for (int i = 0; i < big.length(); i += 10_000) {
            texts.add(big.substring(i, Math.min(big.length(), i + 10_000)) + "<|endoftext|>");
        }
        return texts;
    }

    private static BpeTrainerConfig config(int vocab, int threads) {
        return new BpeTrainerConfig(vocab, List.of("<|endoftext|>", "<|pad|>"), SplitPattern.CL100K, 2, 256, threads);
    }

    @Test
    void trainsRequestedVocabularyDeterministically() {
        TrainedBpe a = BpeTrainer.train(corpus().iterator(), config(1000, 1));
        TrainedBpe b = BpeTrainer.train(corpus().iterator(), config(1000, 2));
        assertEquals(1000, a.vocabSize());
        assertEquals(Map.of("<|endoftext|>", 998, "<|pad|>", 999), a.specialTokens());
        assertEquals(a.mergeCount(), b.mergeCount());
        for (int r = 0; r < a.mergeCount() + 256; r++) {
            assertArrayEquals(a.tokenBytes(r), b.tokenBytes(r), "rank " + r);
        }
        // Special-token spellings in the training text were not learned as ordinary tokens.
        for (int r = 256; r < a.mergeCount() + 256; r++) {
            assertTrue(!new String(a.tokenBytes(r), StandardCharsets.UTF_8).contains("endoftext"), "rank " + r);
        }
    }

    @Test
    void matchesNaiveRecountingTrainer() {
        List<String> texts = corpus().subList(0, 4);
        TrainedBpe fast = BpeTrainer.train(texts.iterator(), config(256 + 2 + 200, 1));
        List<byte[]> naive = naiveTrain(texts, 200);
        assertEquals(naive.size(), fast.mergeCount());
        for (int i = 0; i < naive.size(); i++) {
            assertArrayEquals(naive.get(i), fast.tokenBytes(256 + i), "merge " + i);
        }
    }

    /** Obviously-correct reference: recount every pair of every word before each merge. */
    private static List<byte[]> naiveTrain(List<String> texts, int merges) {
        Map<String, Integer> words = new LinkedHashMap<>();
        for (String t : texts) {
            for (String seg : t.split("<\\|endoftext\\|>")) {
                List<String> pieces = ScannerRegexEquivalenceTest.byScanner(SplitPattern.CL100K.scanner(), seg);
                for (String p : pieces) {
                    words.merge(p, 1, Integer::sum);
                }
            }
        }
        List<byte[]> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(new byte[] {(byte) b});
        }
        Map<String, Integer> known = new HashMap<>();
        for (int b = 0; b < 256; b++) {
            known.put(new String(tokens.get(b), StandardCharsets.ISO_8859_1), b);
        }
        List<int[]> syms = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        for (Map.Entry<String, Integer> e : words.entrySet()) {
            byte[] b = e.getKey().getBytes(StandardCharsets.UTF_8);
            if (b.length < 2 || b.length > 256) {
                continue;
            }
            int[] s = new int[b.length];
            for (int i = 0; i < b.length; i++) {
                s[i] = b[i] & 0xFF;
            }
            syms.add(s);
            counts.add(e.getValue());
        }
        List<byte[]> learned = new ArrayList<>();
        while (learned.size() < merges) {
            Map<Long, Integer> pc = new HashMap<>();
            for (int w = 0; w < syms.size(); w++) {
                int[] s = syms.get(w);
                for (int i = 0; i + 1 < s.length; i++) {
                    pc.merge(((long) s[i] << 32) | s[i + 1], counts.get(w), Integer::sum);
                }
            }
            long best = -1;
            int bestCount = 0;
            for (Map.Entry<Long, Integer> e : pc.entrySet()) {
                long k = e.getKey();
                int c = e.getValue();
                if (c > bestCount || (c == bestCount && compare(tokens, k, best) < 0)) {
                    best = k;
                    bestCount = c;
                }
            }
            if (bestCount < 2) {
                break;
            }
            int a = (int) (best >>> 32);
            int b = (int) best;
            byte[] ab = concat(tokens.get(a), tokens.get(b));
            String key = new String(ab, StandardCharsets.ISO_8859_1);
            Integer c = known.get(key);
            if (c == null) {
                c = tokens.size();
                tokens.add(ab);
                known.put(key, c);
                learned.add(ab);
            }
            for (int w = 0; w < syms.size(); w++) {
                int[] s = syms.get(w);
                int[] out = new int[s.length];
                int n = 0;
                for (int i = 0; i < s.length; i++) {
                    if (i + 1 < s.length && s[i] == a && s[i + 1] == b) {
                        out[n++] = c;
                        i++;
                    } else {
                        out[n++] = s[i];
                    }
                }
                syms.set(w, Arrays.copyOf(out, n));
            }
        }
        return learned;
    }

    private static int compare(List<byte[]> tokens, long x, long y) {
        int c = Arrays.compareUnsigned(tokens.get((int) (x >>> 32)), tokens.get((int) (y >>> 32)));
        return c != 0 ? c : Arrays.compareUnsigned(tokens.get((int) x), tokens.get((int) y));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void savedRankFileAndTokenizerJsonEncodeIdentically() throws Exception {
        Path corpusFile = dir.resolve("corpus.txt");
        Files.writeString(corpusFile, String.join("\n", corpus()));
        TrainedBpe bpe = BpeTrainer.trainFiles(List.of(corpusFile), config(800, 2));
        Path ranks = dir.resolve("t.tiktoken");
        Path json = dir.resolve("tokenizer.json");
        bpe.writeTiktoken(ranks);
        bpe.writeTokenizerJson(json);
        Tokenizer direct = bpe.tokenizer();
        Tokenizer fromRanks = Tokenizers.fromTiktokenFile(ranks, SplitPattern.CL100K, bpe.specialTokens());
        Tokenizer fromJson = Tokenizers.fromTokenizerJson(json);
        assertEquals(bpe.specialTokens(), fromJson.specialTokens());
        List<String> texts = new ArrayList<>(TestTexts.MIXED);
        texts.addAll(TestTexts.random(31, 1500, 30));
        for (String t : texts) {
            int[] ids = direct.encode(t, Set.of("<|endoftext|>"));
            assertArrayEquals(ids, fromRanks.encode(t, Set.of("<|endoftext|>")), t);
            assertArrayEquals(ids, fromJson.encode(t, Set.of("<|endoftext|>")), t);
            assertEquals(t, fromJson.decode(ids));
        }
    }

    @Test
    void rejectsBadConfiguration() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BpeTrainerConfig(100, List.of(), SplitPattern.CL100K, 2, 256, 1));
        assertTrue(e.getMessage().contains("vocabSize") && e.getMessage().contains("100"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new BpeTrainerConfig(300, List.of("a", "a"), SplitPattern.CL100K, 2, 256, 1));
        assertThrows(IllegalArgumentException.class, () -> BpeTrainer.trainFiles(List.of(), BpeTrainerConfig.of(300)));
    }
}
