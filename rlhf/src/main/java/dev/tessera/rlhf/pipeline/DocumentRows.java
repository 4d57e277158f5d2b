package dev.tessera.rlhf.pipeline;

import dev.tessera.core.Rng;
import dev.tessera.training.data.Batch;
import dev.tessera.training.data.BatchSource;
import dev.tessera.training.data.Collator;
import dev.tessera.training.data.DrawPosition;
import dev.tessera.training.data.LabeledSequence;
import dev.tessera.training.loss.CrossEntropyOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Pretraining batches whose rows start at document starts: every document (followed by
 * {@code <|endoftext|>}) is cut into chunks of at most {@code maxLength} tokens, and a batch is
 * {@code batchSize} chunks drawn at random, right-padded (padding is never a target).
 *
 * <p>Why not random windows over the packed corpus ({@code WindowSampler})? The demo's
 * documents are one short instruction each, and chat turns always start at position 0. With
 * windows at random offsets a model with learned absolute positions must first learn to find
 * where a document starts; aligned rows let a small model learn the operations several times
 * faster, which is what fits the demo into minutes. Long user texts are simply cut into
 * consecutive chunks.
 */
final class DocumentRows implements BatchSource {
    private final List<int[]> chunks;
    private final int batchSize;
    private final int pad;
    private final Rng rng;
    private long drawn;

    DocumentRows(List<int[]> chunks, int batchSize, int pad, long seed) {
        if (chunks.isEmpty()) {
            throw new IllegalArgumentException("DocumentRows: no documents");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("DocumentRows: batchSize must be >= 1 but was " + batchSize);
        }
        this.chunks = List.copyOf(chunks);
        this.batchSize = batchSize;
        this.pad = pad;
        this.rng = new Rng(seed);
    }

    /** Each document's tokens plus the separator, cut into chunks of at most {@code maxLength} (≥ 2) tokens. */
    static List<int[]> chunks(List<String> documents, ChatTokenizer tokenizer, int maxLength) {
        if (maxLength < 2) {
            throw new IllegalArgumentException("DocumentRows: maxLength must be >= 2 but was " + maxLength);
        }
        List<int[]> out = new ArrayList<>();
        for (String d : documents) {
            int[] ids = tokenizer.encode(d);
            int[] doc = Arrays.copyOf(ids, ids.length + 1);
            doc[ids.length] = tokenizer.endOfText();
            for (int from = 0; from < doc.length; from += maxLength) {
                int to = Math.min(doc.length, from + maxLength);
                if (to - from >= 2) { // a single token has nothing to predict
                    out.add(Arrays.copyOfRange(doc, from, to));
                }
            }
        }
        return out;
    }

    @Override
    public Batch next() {
        List<LabeledSequence> rows = new ArrayList<>(batchSize);
        for (int i = 0; i < batchSize; i++) {
            int[] c = chunks.get(rng.nextInt(chunks.size()));
            boolean[] targets = new boolean[c.length];
            Arrays.fill(targets, 1, c.length, true);
            rows.add(new LabeledSequence(c, targets));
        }
        drawn++;
        return Collator.pad(rows, pad, CrossEntropyOptions.DEFAULT_IGNORE_INDEX);
    }

    /**
     * Ids (batchSize, length) of packed text for PPO-ptx: random chunks laid end to end and cut at
     * {@code length}, so no row has padding (the ptx loss scores every position).
     */
    INDArray packedRows(int length) {
        int[] ids = new int[batchSize * length];
        for (int b = 0; b < batchSize; b++) {
            int filled = 0;
            while (filled < length) {
                int[] c = chunks.get(rng.nextInt(chunks.size()));
                int n = Math.min(c.length, length - filled);
                System.arraycopy(c, 0, ids, b * length + filled, n);
                filled += n;
            }
        }
        drawn++;
        return Nd4j.createFromArray(ids).reshape('c', batchSize, length);
    }

    @Override
    public long[] position() {
        return DrawPosition.of(rng, drawn);
    }

    @Override
    public void setPosition(long[] position) {
        drawn = DrawPosition.restore(position, rng, "DocumentRows");
    }
}
