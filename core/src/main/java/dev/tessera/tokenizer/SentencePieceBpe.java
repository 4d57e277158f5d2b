package dev.tessera.tokenizer;

import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * BPE over characters, as in SentencePiece-style tokenizer.json files (Llama 2, Mistral,
 * Gemma): a word starts as its characters; a character that is not a token becomes its UTF-8
 * bytes' {@code <0xAB>} tokens when the model has {@code byte_fallback}, else the unknown token
 * (consecutive ones fused into one when {@code fuse_unk}); then the adjacent pair with the
 * lowest merge rank is merged, the leftmost first on ties, until no pair has a merge. With
 * {@code ignore_merges} a word that is itself a token maps straight to it.
 *
 * <p>Special tokens are never produced: their spellings are not looked up and merges that
 * would produce one are not applied.
 */
final class SentencePieceBpe implements SubwordModel {
    /** Ordinary tokens (special tokens left out) → id. */
    private final Map<String, Integer> vocab;
    /** (left id, right id) → rank in the high 32 bits, merged id in the low 32. */
    private final Map<Long, Long> merges;
    private final int[] byteIds;
    private final int unkId;
    private final boolean fuseUnk;
    private final boolean ignoreMerges;

    /**
     * @param vocab ordinary tokens → id (no special tokens)
     * @param merges (left id, right id) pairs → {@code rank << 32 | merged id}
     * @param byteFallback whether unknown characters become byte tokens
     * @param unkId id of the unknown token, or -1 when the model has none
     */
    SentencePieceBpe(Map<String, Integer> vocab, Map<Long, Long> merges, boolean byteFallback, int unkId,
                     boolean fuseUnk, boolean ignoreMerges) {
        this.vocab = new HashMap<>(vocab);
        this.merges = new HashMap<>(merges);
        this.byteIds = byteFallback ? SubwordModel.byteTokenIds(vocab) : null;
        this.unkId = unkId;
        this.fuseUnk = fuseUnk;
        this.ignoreMerges = ignoreMerges;
    }

    static long pair(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    @Override
    public void tokenize(String word, IntArray ids, IntArray starts, IntArray ends) {
        if (word.isEmpty()) {
            return;
        }
        if (ignoreMerges) {
            Integer id = vocab.get(word);
            if (id != null) {
                ids.add(id);
                starts.add(0);
                ends.add(word.length());
                return;
            }
        }
        // The word's symbols before merging: characters, byte tokens and unknown tokens.
        IntArray sym = new IntArray(word.length());
        IntArray symStart = new IntArray(word.length());
        IntArray symEnd = new IntArray(word.length());
        boolean lastWasUnk = false;
        for (int i = 0; i < word.length(); ) {
            int next = i + Character.charCount(word.codePointAt(i));
            String ch = word.substring(i, next);
            Integer id = vocab.get(ch);
            if (id != null) {
                sym.add(id);
                symStart.add(i);
                symEnd.add(next);
                lastWasUnk = false;
            } else if (byteIds != null && SubwordModel.appendBytes(ch, byteIds, i, next, sym, symStart, symEnd)) {
                lastWasUnk = false;
            } else if (unkId >= 0) {
                if (lastWasUnk && fuseUnk) {
                    symEnd.a[symEnd.size - 1] = next;
                } else {
                    sym.add(unkId);
                    symStart.add(i);
                    symEnd.add(next);
                }
                lastWasUnk = true;
            } else {
                throw new IllegalArgumentException("text: character U+" + String.format("%04X", ch.codePointAt(0))
                        + " at offset " + i + " of word '" + word + "' is not in the vocabulary, and the model has"
                        + " neither byte_fallback tokens for it nor an unk_token");
            }
            i = next;
        }
        merge(sym, symStart, symEnd);
        for (int i = 0; i < sym.size; i++) {
            if (sym.a[i] >= 0) {
                ids.add(sym.a[i]);
                starts.add(symStart.a[i]);
                ends.add(symEnd.a[i]);
            }
        }
    }

    /** Applies merges in place; merged-away symbols are set to -1. */
    private void merge(IntArray sym, IntArray symStart, IntArray symEnd) {
        int n = sym.size;
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        // Queue entries: rank in the high 32 bits, position of the left symbol in the low 32,
        // so the smallest entry is the lowest rank, leftmost on ties.
        PriorityQueue<Long> queue = new PriorityQueue<>();
        for (int i = 0; i + 1 < n; i++) {
            push(queue, sym.a[i], sym.a[i + 1], i);
        }
        while (!queue.isEmpty()) {
            long top = queue.poll();
            int pos = (int) top;
            int rank = (int) (top >>> 32);
            if (sym.a[pos] < 0 || next[pos] < 0) {
                continue;
            }
            int right = next[pos];
            Long m = merges.get(pair(sym.a[pos], sym.a[right]));
            if (m == null || (int) (m >>> 32) != rank) {
                continue; // stale entry: one of the two symbols has changed since it was queued
            }
            sym.a[pos] = (int) (long) m;
            symEnd.a[pos] = symEnd.a[right];
            sym.a[right] = -1;
            next[pos] = next[right];
            if (next[pos] >= 0) {
                prev[next[pos]] = pos;
            }
            if (prev[pos] >= 0) {
                push(queue, sym.a[prev[pos]], sym.a[pos], prev[pos]);
            }
            if (next[pos] >= 0) {
                push(queue, sym.a[pos], sym.a[next[pos]], pos);
            }
        }
    }

    private void push(PriorityQueue<Long> queue, int left, int right, int pos) {
        Long m = merges.get(pair(left, right));
        if (m != null) {
            queue.add(((m >>> 32) << 32) | pos);
        }
    }
}
