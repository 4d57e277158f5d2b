package dev.tessera.tokenizer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The Unigram language model of SentencePiece: a word is cut into the pieces whose log
 * probabilities ({@code scores}) sum highest (Viterbi over every vocabulary piece that matches
 * at every character position). A position where no one-character piece matches may be crossed
 * by the unknown token, scored {@code min(scores) - 10}; consecutive unknown characters are fused
 * into one unknown token, which with {@code byte_fallback} becomes its UTF-8 bytes'
 * {@code <0xAB>} tokens. Ties go to the candidate found first (shorter pieces from earlier
 * positions), as in Hugging Face's implementation.
 *
 * <p>The pieces of special tokens take no part: text that spells {@code <s>} is cut into
 * ordinary pieces. (Hugging Face matches them too, so there such text yields the special id.)
 */
final class UnigramModel implements SubwordModel {
    /** Score penalty of the unknown token below the lowest piece score (SentencePiece's kUnkPenalty). */
    static final double UNK_PENALTY = 10.0;

    /** Ordinary pieces → id. */
    private final Map<String, Integer> pieces;
    private final double[] scores;
    private final int maxPieceChars;
    private final double unkScore;
    private final int unkId;
    private final int[] byteIds;

    /**
     * @param pieces ordinary pieces → id (no special tokens)
     * @param scores score of every id of the model, special ones included (they count for the minimum)
     * @param unkId id of the unknown token, or -1 when the model has none
     */
    UnigramModel(Map<String, Integer> pieces, double[] scores, int unkId, boolean byteFallback) {
        this.pieces = new HashMap<>(pieces);
        this.scores = scores.clone();
        int max = 1;
        for (String p : pieces.keySet()) {
            max = Math.max(max, p.length());
        }
        this.maxPieceChars = max;
        double min = Double.POSITIVE_INFINITY;
        for (double s : scores) {
            min = Math.min(min, s);
        }
        this.unkScore = min - UNK_PENALTY;
        this.unkId = unkId;
        this.byteIds = byteFallback ? SubwordModel.byteTokenIds(pieces) : null;
    }

    @Override
    public void tokenize(String word, IntArray ids, IntArray starts, IntArray ends) {
        int n = word.length();
        if (n == 0) {
            return;
        }
        // best*[e]: the best path over word[0, e): its score, where its last piece starts, that piece's id.
        double[] bestScore = new double[n + 1];
        int[] bestStart = new int[n + 1];
        int[] bestId = new int[n + 1];
        Arrays.fill(bestStart, -1);
        for (int start = 0; start < n; ) {
            int charEnd = start + Character.charCount(word.codePointAt(start));
            // Every position is reachable: each character is crossed by a one-character piece or the unknown token.
            double here = bestScore[start];
            boolean single = false;
            int limit = Math.min(n, start + maxPieceChars);
            for (int end = charEnd; end <= limit; ) {
                Integer id = pieces.get(word.substring(start, end));
                if (id != null) {
                    double candidate = here + scores[id];
                    if (bestStart[end] < 0 || candidate > bestScore[end]) {
                        bestScore[end] = candidate;
                        bestStart[end] = start;
                        bestId[end] = id;
                    }
                    single |= end == charEnd;
                }
                if (end == n) {
                    break;
                }
                end += Character.charCount(word.codePointAt(end));
            }
            if (!single) {
                double candidate = here + unkScore;
                if (bestStart[charEnd] < 0 || candidate > bestScore[charEnd]) {
                    bestScore[charEnd] = candidate;
                    bestStart[charEnd] = start;
                    bestId[charEnd] = -1;
                }
            }
            start = charEnd;
        }
        // Backtrack, fusing runs of unknown characters.
        IntArray cut = new IntArray(16); // piece end positions, last piece first
        IntArray cutId = new IntArray(16);
        for (int end = n; end > 0; end = bestStart[end]) {
            boolean unk = bestId[end] < 0;
            if (unk && cut.size > 0 && cutId.a[cut.size - 1] < 0) {
                continue; // extends the unknown run that starts after this one
            }
            cut.add(end);
            cutId.add(bestId[end]);
        }
        for (int k = cut.size - 1; k >= 0; k--) {
            int end = cut.a[k];
            // The run's start is the end of the previous piece: recompute it from the cut list.
            int start = k == cut.size - 1 ? 0 : cut.a[k + 1];
            if (cutId.a[k] >= 0) {
                ids.add(cutId.a[k]);
                starts.add(start);
                ends.add(end);
                continue;
            }
            String unknown = word.substring(start, end);
            Integer known = pieces.get(unknown);
            if (known != null) {
                ids.add(known);
                starts.add(start);
                ends.add(end);
            } else if (byteIds != null && SubwordModel.appendBytes(unknown, byteIds, start, end, ids, starts, ends)) {
                continue;
            } else if (unkId >= 0) {
                ids.add(unkId);
                starts.add(start);
                ends.add(end);
            } else {
                throw new IllegalArgumentException("text: '" + unknown + "' at offset " + start + " of word '" + word
                        + "' has no piece in the vocabulary, and the model has neither byte_fallback tokens for it"
                        + " nor an unk_id");
            }
        }
    }
}
