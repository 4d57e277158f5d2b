package dev.tessera.training.data;

import dev.tessera.backend.Backend;
import dev.tessera.core.Rng;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Random fixed-length next-token windows from a {@link TokenFile}: each row is T + 1
 * consecutive tokens starting at a uniformly drawn offset, split into inputs [0, T) and
 * targets [1, T + 1). The position is the generator's state, so restoring it replays the
 * same windows.
 *
 * <p>Sharded for data parallelism: replica r of N draws every window of the global batch, in the
 * same order and from the same generator as the one-process sampler with the global batch, and
 * keeps rows [r·B/N, (r+1)·B/N). The replicas' rows are disjoint, their union in rank order is the
 * one-process batch, and every replica's position is the one-process position.
 */
public final class WindowSampler implements BatchSource {
    static {
        // creates ND4J arrays, possibly before any Tensor: pick the native build first (see Backend)
        Backend.init();
    }

    private final TokenFile tokens;
    private final int batchSize;
    private final int globalBatch;
    private final int firstRow;
    private final int length;
    private final long lo;
    private final long span;
    private final Rng rng;
    private long drawn;

    /**
     * Windows whose start lies in [from, to − T − 1] (use disjoint ranges for training and
     * validation splits).
     */
    public WindowSampler(TokenFile tokens, long from, long to, int batchSize, int length, long seed) {
        this(tokens, from, to, batchSize, length, seed, 0, 1);
    }

    /**
     * Replica {@code rank}'s shard of the windows a one-process sampler with batch
     * {@code globalBatch} would draw: {@code globalBatch / replicas} rows per batch.
     *
     * @param globalBatch rows of the global batch, a multiple of {@code replicas}
     * @param rank this replica, in [0, replicas)
     */
    public WindowSampler(TokenFile tokens, long from, long to, int globalBatch, int length, long seed, int rank,
            int replicas) {
        if (globalBatch <= 0 || length <= 0) {
            throw new IllegalArgumentException("batchSize and length must be > 0 but were " + globalBatch + ", " + length);
        }
        if (replicas <= 0 || rank < 0 || rank >= replicas) {
            throw new IllegalArgumentException("rank must be in [0, replicas) with replicas > 0 but were rank " + rank
                    + ", replicas " + replicas);
        }
        if (globalBatch % replicas != 0) {
            throw new IllegalArgumentException("the global batch (" + globalBatch + ") must be a multiple of the replicas ("
                    + replicas + ")");
        }
        if (from < 0 || to > tokens.size() || to - from < length + 1L) {
            throw new IllegalArgumentException("range [" + from + ", " + to + ") of a " + tokens.size()
                    + "-token file must hold at least length + 1 = " + (length + 1) + " tokens");
        }
        this.tokens = tokens;
        this.globalBatch = globalBatch;
        this.batchSize = globalBatch / replicas;
        this.firstRow = rank * this.batchSize;
        this.length = length;
        this.lo = from;
        this.span = to - from - length; // number of valid starts
        this.rng = new Rng(seed);
    }

    /** Windows over the whole file. */
    public WindowSampler(TokenFile tokens, int batchSize, int length, long seed) {
        this(tokens, 0, tokens.size(), batchSize, length, seed);
    }

    @Override
    public Batch next() {
        int[] in = new int[batchSize * length];
        int[] out = new int[batchSize * length];
        int[] w = new int[length + 1];
        for (int g = 0; g < globalBatch; g++) {
            long start = lo + (long) (rng.nextDouble() * span); // drawn for every row of the global batch
            int b = g - firstRow;
            if (b < 0 || b >= batchSize) {
                continue; // another replica's row
            }
            tokens.read(start, w);
            System.arraycopy(w, 0, in, b * length, length);
            System.arraycopy(w, 1, out, b * length, length);
        }
        drawn++;
        return new Batch(Nd4j.createFromArray(in).reshape('c', batchSize, length),
                Nd4j.createFromArray(out).reshape('c', batchSize, length), null);
    }

    /** Batches drawn so far. */
    public long drawn() {
        return drawn;
    }

    @Override
    public long[] position() {
        return DrawPosition.of(rng, drawn);
    }

    @Override
    public void setPosition(long[] position) {
        drawn = DrawPosition.restore(position, rng, "WindowSampler");
    }
}
