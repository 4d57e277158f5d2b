package dev.tessera.bench.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte-level BPE training in its textbook form, the reference of {@code BpeTrainBenchmark}:
 * split the text with the pre-tokenisation regex ({@link java.util.regex}), count unique
 * pieces, then for every merge recount all adjacent pairs of all pieces, take the most frequent
 * (ties: smaller left token bytes, then smaller right token bytes, unsigned, as
 * {@code dev.tessera.tokenizer.BpeTrainer}), and rewrite every piece left to right. No
 * incremental counts, no index: O(merges × corpus symbols).
 */
public final class NaiveBpeTrainer {
    private NaiveBpeTrainer() {}

    /**
     * The learned tokens: 256 single bytes, then one entry per merge, in merge order.
     *
     * @param text          the training text (no special tokens)
     * @param regex         the pre-tokenisation regex, e.g. {@code SplitPattern.CL100K.regex()}
     * @param merges        the number of merges wanted
     * @param minFrequency  stop early when no pair occurs this often
     * @param maxWordBytes  pieces longer than this (in UTF-8 bytes) are not counted
     */
    public static List<byte[]> train(String text, String regex, int merges, int minFrequency, int maxWordBytes) {
        if (merges < 0 || minFrequency < 1 || maxWordBytes < 2) {
            throw new IllegalArgumentException("need merges >= 0, minFrequency >= 1, maxWordBytes >= 2 but got "
                    + merges + ", " + minFrequency + ", " + maxWordBytes);
        }
        Map<String, Integer> pieceCounts = new HashMap<>();
        Matcher m = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS).matcher(text);
        while (m.find()) {
            pieceCounts.merge(m.group(), 1, Integer::sum);
        }
        List<int[]> words = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        for (Map.Entry<String, Integer> e : pieceCounts.entrySet()) {
            byte[] b = e.getKey().getBytes(StandardCharsets.UTF_8);
            if (b.length > maxWordBytes) {
                continue;
            }
            int[] w = new int[b.length];
            for (int i = 0; i < b.length; i++) {
                w[i] = b[i] & 0xFF;
            }
            words.add(w);
            counts.add(e.getValue());
        }
        List<byte[]> tokens = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            tokens.add(new byte[] {(byte) i});
        }
        for (int merge = 0; merge < merges; merge++) {
            Map<Long, Integer> pairs = new HashMap<>();
            for (int w = 0; w < words.size(); w++) {
                int[] s = words.get(w);
                for (int j = 0; j + 1 < s.length; j++) {
                    pairs.merge(((long) s[j] << 32) | s[j + 1], counts.get(w), Integer::sum);
                }
            }
            long best = -1;
            int bestCount = 0;
            for (Map.Entry<Long, Integer> e : pairs.entrySet()) {
                int c = e.getValue();
                if (c > bestCount || (c == bestCount && before(tokens, e.getKey(), best))) {
                    best = e.getKey();
                    bestCount = c;
                }
            }
            if (best < 0 || bestCount < minFrequency) {
                break;
            }
            int left = (int) (best >>> 32);
            int right = (int) best;
            int id = tokens.size();
            byte[] lb = tokens.get(left);
            byte[] rb = tokens.get(right);
            byte[] joined = Arrays.copyOf(lb, lb.length + rb.length);
            System.arraycopy(rb, 0, joined, lb.length, rb.length);
            tokens.add(joined);
            for (int w = 0; w < words.size(); w++) {
                words.set(w, rewrite(words.get(w), left, right, id));
            }
        }
        return tokens;
    }

    /** Pair a ranks before pair b on equal counts: smaller left bytes, then smaller right bytes. */
    private static boolean before(List<byte[]> tokens, long a, long b) {
        int cmp = Arrays.compareUnsigned(tokens.get((int) (a >>> 32)), tokens.get((int) (b >>> 32)));
        if (cmp == 0) {
            cmp = Arrays.compareUnsigned(tokens.get((int) a), tokens.get((int) b));
        }
        return cmp < 0;
    }

    /** Replaces each non-overlapping (left, right), scanning left to right, by id. */
    static int[] rewrite(int[] s, int left, int right, int id) {
        int[] out = new int[s.length];
        int n = 0;
        for (int j = 0; j < s.length; j++) {
            if (j + 1 < s.length && s[j] == left && s[j + 1] == right) {
                out[n++] = id;
                j++;
            } else {
                out[n++] = s[j];
            }
        }
        return n == s.length ? s : Arrays.copyOf(out, n);
    }
}
