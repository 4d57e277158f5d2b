package dev.tessera.rlhf.data;

import dev.tessera.rlhf.chat.ChatTemplate;
import dev.tessera.rlhf.chat.RenderedChat;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Right-padded conversations (formatted prompt + response) with the mask of response tokens.
 *
 * <pre>
 *   ids          (B, T) int    [user] p… [assistant] r… [end] pad…
 *   responseMask (B, T) 0/1    1 on r… and [end]
 *   lengths      (B)           tokens before the padding
 * </pre>
 * Log-probs from {@code LogProbs.ofSequence} are (B, T − 1) with column t scoring token t + 1, so
 * they pair with {@link #targetMask(DataType)} = responseMask[:, 1:].
 */
public record SequenceBatch(INDArray ids, INDArray responseMask, int[] lengths) {
    public SequenceBatch {
        if (ids.rank() != 2 || !ids.dataType().isIntType()) {
            throw new IllegalArgumentException("SequenceBatch: ids must be an integer (B, T) array but is "
                    + ids.dataType() + Arrays.toString(ids.shape()));
        }
        if (!Arrays.equals(ids.shape(), responseMask.shape())) {
            throw new IllegalArgumentException("SequenceBatch: responseMask must have ids' shape " + Arrays.toString(ids.shape())
                    + " but has " + Arrays.toString(responseMask.shape()));
        }
        if (lengths.length != ids.size(0)) {
            throw new IllegalArgumentException("SequenceBatch: lengths must have " + ids.size(0) + " entries but has "
                    + lengths.length);
        }
    }

    /**
     * Formats and right-pads pairs: row i = chat.conversation(prompts[i], responses[i]).
     * Response tokens are given without the end marker, which the format appends.
     */
    public static SequenceBatch of(ChatTemplate chat, List<int[]> prompts, List<int[]> responses) {
        if (prompts.size() != responses.size() || prompts.isEmpty()) {
            throw new IllegalArgumentException("SequenceBatch.of: need as many responses as prompts (>= 1), but got "
                    + prompts.size() + " prompts and " + responses.size() + " responses");
        }
        int[][] rows = new int[prompts.size()][];
        int[] promptLens = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            int[] p = chat.prompt(prompts.get(i));
            int[] r = chat.response(responses.get(i));
            promptLens[i] = p.length;
            rows[i] = Arrays.copyOf(p, p.length + r.length);
            System.arraycopy(r, 0, rows[i], p.length, r.length);
        }
        return ofFormatted(rows, promptLens, chat.pad());
    }

    /** Already formatted rows, each with the length of its prompt part; responses are the rest. */
    public static SequenceBatch ofFormatted(int[][] rows, int[] promptLengths, int pad) {
        int b = rows.length;
        int t = 0;
        for (int[] r : rows) {
            t = Math.max(t, r.length);
        }
        int[] ids = new int[b * t];
        float[] mask = new float[b * t];
        int[] lengths = new int[b];
        Arrays.fill(ids, pad);
        for (int i = 0; i < b; i++) {
            if (promptLengths[i] < 1 || promptLengths[i] > rows[i].length) {
                throw new IllegalArgumentException("SequenceBatch: promptLengths[" + i + "] must be in [1, " + rows[i].length
                        + "] but was " + promptLengths[i]);
            }
            System.arraycopy(rows[i], 0, ids, i * t, rows[i].length);
            for (int j = promptLengths[i]; j < rows[i].length; j++) {
                mask[i * t + j] = 1;
            }
            lengths[i] = rows[i].length;
        }
        return new SequenceBatch(Nd4j.createFromArray(ids).reshape(b, t), Nd4j.createFromArray(mask).reshape(b, t), lengths);
    }

    /**
     * Right-pads rendered conversations (any number of turns); the response mask is the
     * template's assistant mask, so SFT trains on every answer and its end marker and on
     * nothing else.
     */
    public static SequenceBatch ofRendered(List<RenderedChat> chats, int pad) {
        if (chats == null || chats.isEmpty()) {
            throw new IllegalArgumentException("SequenceBatch.ofRendered: need at least one conversation, got "
                    + (chats == null ? "null" : "none"));
        }
        int b = chats.size();
        int t = 0;
        for (RenderedChat c : chats) {
            t = Math.max(t, c.size());
        }
        int[] ids = new int[b * t];
        float[] mask = new float[b * t];
        int[] lengths = new int[b];
        Arrays.fill(ids, pad);
        for (int i = 0; i < b; i++) {
            int[] row = chats.get(i).ids();
            boolean[] answer = chats.get(i).assistant();
            if (row.length == 0) {
                throw new IllegalArgumentException("SequenceBatch.ofRendered: chats[" + i + "] has no tokens");
            }
            System.arraycopy(row, 0, ids, i * t, row.length);
            for (int j = 0; j < row.length; j++) {
                mask[i * t + j] = answer[j] ? 1 : 0;
            }
            lengths[i] = row.length;
        }
        return new SequenceBatch(Nd4j.createFromArray(ids).reshape(b, t), Nd4j.createFromArray(mask).reshape(b, t), lengths);
    }

    public int batchSize() {
        return (int) ids.size(0);
    }

    public int length() {
        return (int) ids.size(1);
    }

    /** (B, T − 1): responseMask[:, 1:], aligned with next-token log-probs; dtype as asked. */
    public INDArray targetMask(DataType dtype) {
        return responseMask.get(NDArrayIndex.all(), NDArrayIndex.interval(1, length())).castTo(dtype).dup('c');
    }

    /** Rows {@code rows}, in that order, at the full width T (so per-token arrays of the batch line up). */
    public SequenceBatch select(int[] rows) {
        int t = length();
        for (int r : rows) {
            if (r < 0 || r >= batchSize()) {
                throw new IllegalArgumentException("SequenceBatch.select: row " + r + " is not in [0, " + batchSize() + ")");
            }
        }
        int[] allIds = ids.dup('c').data().asInt();
        float[] allMask = responseMask.castTo(DataType.FLOAT).dup('c').data().asFloat();
        int[] ids2 = new int[rows.length * t];
        float[] m2 = new float[rows.length * t];
        int[] l2 = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(allIds, rows[i] * t, ids2, i * t, t);
            System.arraycopy(allMask, rows[i] * t, m2, i * t, t);
            l2[i] = lengths[rows[i]];
        }
        return new SequenceBatch(Nd4j.createFromArray(ids2).reshape(rows.length, t),
                Nd4j.createFromArray(m2).reshape(rows.length, t), l2);
    }

    /** Row i as an int array of its real (unpadded) tokens. */
    public int[] row(int i) {
        int[] all = ids.getRow(i).dup('c').data().asInt();
        return Arrays.copyOf(all, lengths[i]);
    }
}
