package dev.tessera.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The merge phase of {@link BpeTrainer}: incremental pair counts over unique words.
 *
 * <p>Memory layout (all primitive arrays): every word of two or more bytes is a run of
 * symbol ids in {@code sym}, at {@code wStart[w]} with current length {@code wLen[w]} (runs
 * shrink in place as merges apply) and count {@code wCount[w]}. Pairs get dense ids through
 * a {@link LongIntMap} keyed by {@code left << 32 | right}; per pair: count, left, right and
 * an {@code int[]} list of the words that held it when it was created (entries may be stale;
 * a word is checked when visited). Single-byte words carry no pair and are dropped.
 *
 * <p>Performance notes: rewriting a word touches only the neighbours of each merge site
 * (the pair to the left and to the right), so the work per merge is proportional to the
 * occurrences of the merged pair, not to the corpus. A merge visits each word of its
 * occurrence list once ({@code seen[w] == merge} skips duplicates). Recomputing all pair
 * counts per merge, the textbook loop, would cost O(corpus) per merge: with 8k merges on
 * 20 MB of text that is hours instead of seconds.
 */
final class PairMerger {
    private static final Logger LOG = LoggerFactory.getLogger(PairMerger.class);

    private final int[] sym;
    private final int[] wStart;
    private final int[] wLen;
    private final int[] wCount;
    private final int[] seen;
    private final int nWords;

    private final LongIntMap pairIndex;
    private int nPairs;
    private int[] pLeft = new int[1 << 16];
    private int[] pRight = new int[1 << 16];
    private int[] pCount = new int[1 << 16];
    private int[][] occ = new int[1 << 16][];
    private int[] occSize = new int[1 << 16];
    private int[] touchedMark = new int[1 << 16];
    private final IntArray touched = new IntArray(1024);

    // Max-heap of (count snapshot, pair) ordered by count desc, then pair bytes asc.
    private int[] hCount = new int[1 << 16];
    private int[] hPair = new int[1 << 16];
    private int hSize;

    private byte[][] tokenBytes;
    private int nTokens;

    PairMerger(WordCounts words, int maxWordBytes) {
        int n = 0;
        long symbols = 0;
        for (int w = 0; w < words.size; w++) {
            int len = words.length(w);
            if (len >= 2 && len <= maxWordBytes) {
                n++;
                symbols += len;
            }
        }
        if (symbols > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("too many distinct word bytes to train on: " + symbols);
        }
        nWords = n;
        sym = new int[(int) symbols];
        wStart = new int[n];
        wLen = new int[n];
        wCount = new int[n];
        seen = new int[n];
        Arrays.fill(seen, -1);
        int p = 0;
        int i = 0;
        for (int w = 0; w < words.size; w++) {
            int len = words.length(w);
            if (len < 2 || len > maxWordBytes) {
                continue;
            }
            wStart[i] = p;
            wLen[i] = len;
            wCount[i] = words.count[w];
            for (int k = 0, s = words.start[w]; k < len; k++) {
                sym[p++] = words.arena[s + k] & 0xFF;
            }
            i++;
        }
        pairIndex = new LongIntMap(1 << 16);
        tokenBytes = new byte[1024][];
        for (int b = 0; b < 256; b++) {
            tokenBytes[b] = new byte[] {(byte) b};
        }
        nTokens = 256;
        for (int w = 0; w < nWords; w++) {
            int s = wStart[w];
            for (int k = 0; k + 1 < wLen[w]; k++) {
                int pr = pairId(sym[s + k], sym[s + k + 1]);
                pCount[pr] += wCount[w];
                addOcc(pr, w);
            }
        }
        for (int pr = 0; pr < nPairs; pr++) {
            push(pCount[pr], pr);
        }
        LOG.debug("{} words with {} symbols, {} distinct pairs", nWords, symbols, nPairs);
    }

    private int pairId(int a, int b) {
        long key = ((long) a << 32) | (b & 0xFFFFFFFFL) | (1L << 62);
        int id = pairIndex.get(key, -1);
        if (id >= 0) {
            return id;
        }
        id = nPairs++;
        if (id == pLeft.length) {
            int cap = id * 2;
            pLeft = Arrays.copyOf(pLeft, cap);
            pRight = Arrays.copyOf(pRight, cap);
            pCount = Arrays.copyOf(pCount, cap);
            occ = Arrays.copyOf(occ, cap);
            occSize = Arrays.copyOf(occSize, cap);
            touchedMark = Arrays.copyOf(touchedMark, cap);
        }
        pLeft[id] = a;
        pRight[id] = b;
        touchedMark[id] = -1;
        pairIndex.put(key, id, -1);
        return id;
    }

    private void addOcc(int pr, int w) {
        int[] l = occ[pr];
        int n = occSize[pr];
        if (l == null) {
            occ[pr] = l = new int[2];
        } else if (n > 0 && l[n - 1] == w) {
            return;
        } else if (n == l.length) {
            occ[pr] = l = Arrays.copyOf(l, n + (n >> 1) + 2);
        }
        l[n] = w;
        occSize[pr] = n + 1;
    }

    TrainedBpe run(int maxMerges, BpeTrainerConfig config) {
        Map<String, Integer> known = new HashMap<>();
        for (int b = 0; b < 256; b++) {
            known.put(new String(tokenBytes[b], StandardCharsets.ISO_8859_1), b);
        }
        int merges = 0;
        int step = 0;
        long t0 = System.nanoTime();
        while (merges < maxMerges) {
            int pr = popBest();
            if (pr < 0 || pCount[pr] < config.minFrequency()) {
                LOG.info("stopping after {} merges: no pair occurs {} or more times", merges, config.minFrequency());
                break;
            }
            byte[] a = tokenBytes[pLeft[pr]];
            byte[] b = tokenBytes[pRight[pr]];
            byte[] ab = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, ab, a.length, b.length);
            String key = new String(ab, StandardCharsets.ISO_8859_1);
            Integer existing = known.get(key);
            int c;
            if (existing != null) {
                c = existing; // same bytes reached by another split: reuse the token
            } else {
                c = nTokens++;
                if (c == tokenBytes.length) {
                    tokenBytes = Arrays.copyOf(tokenBytes, c * 2);
                }
                tokenBytes[c] = ab;
                known.put(key, c);
                merges++;
            }
            int count = pCount[pr];
            apply(pr, c, step++);
            if (merges % 1000 == 0 && existing == null) {
                LOG.info("merge {}/{}: count {} token {} ({} ms)", merges, maxMerges, count,
                        printable(ab), (System.nanoTime() - t0) / 1_000_000);
            }
        }
        Map<String, Integer> specials = new LinkedHashMap<>();
        for (String s : config.specialTokens()) {
            specials.put(s, nTokens + specials.size());
        }
        return new TrainedBpe(Arrays.copyOf(tokenBytes, nTokens), specials, config.pattern());
    }

    private static String printable(byte[] b) {
        return "'" + new String(b, StandardCharsets.UTF_8).replace("\n", "\\n") + "'";
    }

    /** Merges pair pr into token c in every word that holds it. */
    private void apply(int pr, int c, int step) {
        int a = pLeft[pr];
        int b = pRight[pr];
        int[] list = occ[pr];
        int n = occSize[pr];
        touched.size = 0;
        for (int k = 0; k < n; k++) {
            int w = list[k];
            if (seen[w] == step) {
                continue;
            }
            seen[w] = step;
            int s = wStart[w];
            int len = wLen[w];
            int cnt = wCount[w];
            for (int i = 0; i < len - 1; i++) {
                if (sym[s + i] != a || sym[s + i + 1] != b) {
                    continue;
                }
                if (i > 0) {
                    int x = sym[s + i - 1];
                    change(x, a, -cnt, w, pr);
                    change(x, c, cnt, w, pr);
                }
                if (i + 2 < len) {
                    int y = sym[s + i + 2];
                    change(b, y, -cnt, w, pr);
                    change(c, y, cnt, w, pr);
                }
                sym[s + i] = c;
                System.arraycopy(sym, s + i + 2, sym, s + i + 1, len - i - 2);
                len--;
            }
            wLen[w] = len;
        }
        pCount[pr] = 0;
        occ[pr] = null;
        occSize[pr] = 0;
        for (int t = 0; t < touched.size; t++) {
            int q = touched.a[t];
            touchedMark[q] = -1;
            if (pCount[q] > 0) {
                push(pCount[q], q);
            }
        }
    }

    private void change(int x, int y, int delta, int w, int merged) {
        int q = pairId(x, y);
        if (q == merged) {
            return; // the merged pair's count is zeroed when the merge completes
        }
        pCount[q] += delta;
        if (delta > 0) {
            addOcc(q, w);
            if (touchedMark[q] != 1) {
                touchedMark[q] = 1;
                touched.add(q);
            }
        }
    }

    // ---- heap ----

    /** True if (ca, pa) ranks above (cb, pb): higher count, then smaller bytes. */
    private boolean above(int ca, int pa, int cb, int pb) {
        if (ca != cb) {
            return ca > cb;
        }
        int cmp = Arrays.compareUnsigned(tokenBytes[pLeft[pa]], tokenBytes[pLeft[pb]]);
        if (cmp == 0) {
            cmp = Arrays.compareUnsigned(tokenBytes[pRight[pa]], tokenBytes[pRight[pb]]);
        }
        return cmp < 0;
    }

    private void push(int count, int pair) {
        if (hSize == hCount.length) {
            hCount = Arrays.copyOf(hCount, hSize * 2);
            hPair = Arrays.copyOf(hPair, hSize * 2);
        }
        int i = hSize++;
        while (i > 0) {
            int p = (i - 1) >>> 1;
            if (!above(count, pair, hCount[p], hPair[p])) {
                break;
            }
            hCount[i] = hCount[p];
            hPair[i] = hPair[p];
            i = p;
        }
        hCount[i] = count;
        hPair[i] = pair;
    }

    /** Pops until the top entry's count is current; returns its pair or -1. */
    private int popBest() {
        while (hSize > 0) {
            int count = hCount[0];
            int pair = hPair[0];
            int lc = hCount[--hSize];
            int lp = hPair[hSize];
            int i = 0;
            while (true) {
                int ch = 2 * i + 1;
                if (ch >= hSize) {
                    break;
                }
                if (ch + 1 < hSize && above(hCount[ch + 1], hPair[ch + 1], hCount[ch], hPair[ch])) {
                    ch++;
                }
                if (!above(hCount[ch], hPair[ch], lc, lp)) {
                    break;
                }
                hCount[i] = hCount[ch];
                hPair[i] = hPair[ch];
                i = ch;
            }
            if (hSize > 0) {
                hCount[i] = lc;
                hPair[i] = lp;
            }
            if (count == pCount[pair] && count > 0) {
                return pair;
            }
            // Stale: the pair's count changed since this entry was pushed. Counts that grew were
            // re-pushed by apply(); counts that shrank are re-pushed here with their new value.
            if (pCount[pair] > 0 && count > pCount[pair]) {
                push(pCount[pair], pair);
            }
        }
        return -1;
    }
}
