package dev.tessera.attention;

import dev.tessera.host.HostMemory;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Keys and values of earlier tokens for incremental decoding, preallocated for {@code capacity}
 * slots per layer: (B, Hkv, capacity, hs) each. Every call of a model appends the same number of
 * slots for every sequence of the batch; an attention mask marks which appended slots hold real
 * tokens, so sequences of different lengths share one cache: left-padded prompts, or right-padded
 * prompts continued after the padding (the padded slots are simply never attended). Each sequence
 * keeps its own length (number of real tokens), which fixes the positions of its new tokens.
 *
 * <p>Protocol, driven by the model: {@link #begin} for the new chunk (positions, key mask),
 * {@link #update} once per layer, {@link #commit} at the end. A cache is reused across calls and
 * cleared with {@link #reset}. Cached keys and values are constants: no gradient flows into
 * earlier calls (decoding is inference; train with the full forward).
 *
 * <p>Sliding windows and ALiBi measure distance in slots: with right-padded prompts the padding
 * slots between a prompt and its continuation count, so use left padding with those (RoPE and
 * learned positions use the per-sequence positions and are exact either way).
 */
public final class KvCache {
    private final int batch;
    private final int capacity;
    private final INDArray[] keys; // per layer (B, Hkv, capacity, hs)
    private final INDArray[] values; // per layer (B, Hkv, capacity, hs)
    private final INDArray valid; // (B, capacity) 1 for slots that hold real tokens
    private final boolean[] validFlags; // (B·capacity) the same flags, for the Java decode kernel
    private final FloatBuffer[] keyFloats; // per layer, keys[l]'s own memory when float32 on the CPU, else null
    private final FloatBuffer[] valueFloats;
    private final DoubleBuffer[] keyDoubles; // per layer, float64 twin
    private final DoubleBuffer[] valueDoubles;
    private final int nKvHead;
    private final int headDim;
    private final DataType dtype;
    private final long[] lengths; // (B) real tokens so far per sequence
    private int used; // slots filled, same for every sequence
    private int pending = -1; // slots being appended by the current call, -1 outside a call
    private Object decodeScratch; // GptDecodeStep's per-cache buffers (one decode session, one owner), or null

    /**
     * @param capacity slots per sequence (prompt plus generated tokens, padding included)
     */
    public KvCache(int nLayer, int batch, int nKvHead, int headDim, int capacity, DataType dtype) {
        if (nLayer <= 0 || batch <= 0 || nKvHead <= 0 || headDim <= 0 || capacity <= 0) {
            throw new IllegalArgumentException("KvCache: nLayer, batch, nKvHead, headDim and capacity must be > 0, got "
                    + nLayer + ", " + batch + ", " + nKvHead + ", " + headDim + ", " + capacity);
        }
        this.batch = batch;
        this.capacity = capacity;
        this.keys = new INDArray[nLayer];
        this.values = new INDArray[nLayer];
        for (int l = 0; l < nLayer; l++) {
            keys[l] = Nd4j.zeros(dtype, batch, nKvHead, capacity, headDim);
            values[l] = Nd4j.zeros(dtype, batch, nKvHead, capacity, headDim);
        }
        this.valid = Nd4j.zeros(DataType.FLOAT, batch, capacity);
        this.validFlags = new boolean[batch * capacity];
        this.lengths = new long[batch];
        this.nKvHead = nKvHead;
        this.headDim = headDim;
        this.dtype = dtype;
        this.keyFloats = new FloatBuffer[nLayer];
        this.valueFloats = new FloatBuffer[nLayer];
        this.keyDoubles = new DoubleBuffer[nLayer];
        this.valueDoubles = new DoubleBuffer[nLayer];
        // views of the arrays' own host memory, written in place and never copied; NIO buffers and the
        // kernel's int indices need a layer to hold fewer than 2^31 elements (and bytes), else general path only
        boolean indexable = (long) batch * nKvHead * capacity * headDim * dtype.width() <= Integer.MAX_VALUE;
        if (HostMemory.available() && indexable) {
            for (int l = 0; l < nLayer; l++) {
                if (dtype == DataType.FLOAT) {
                    keyFloats[l] = keys[l].data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
                    valueFloats[l] = values[l].data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
                } else if (dtype == DataType.DOUBLE) {
                    keyDoubles[l] = keys[l].data().asNio().order(ByteOrder.nativeOrder()).asDoubleBuffer();
                    valueDoubles[l] = values[l].data().asNio().order(ByteOrder.nativeOrder()).asDoubleBuffer();
                }
            }
        }
    }

    /** What one call needs: the new tokens' positions, the keys' validity and the causal offset. */
    public record Step(INDArray positions, INDArray keyPadding, int offset) {}

    /**
     * Starts appending {@code t} slots.
     *
     * @param mask (B, t) non-zero for real tokens, or null when all are real
     * @return positions (B, t), key padding (B, used + t), causal offset {@code used}
     */
    public Step begin(INDArray mask, int t) {
        if (t <= 0) {
            throw new IllegalArgumentException("KvCache.begin: t must be > 0 but was " + t);
        }
        if (used + t > capacity) {
            throw new IllegalArgumentException("KvCache.begin: appending " + t + " slots to " + used
                    + " exceeds the capacity " + capacity + "; allocate a larger cache or reset() it");
        }
        boolean[] real = PositionIds.realFlags(mask, batch, t);
        INDArray positions = PositionIds.fromMask(mask, batch, t, lengths);
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < t; i++) {
                boolean r = real == null || real[b * t + i];
                valid.putScalar(b, used + i, r ? 1 : 0);
                validFlags[b * capacity + used + i] = r;
            }
        }
        pending = t;
        INDArray pad = valid.get(NDArrayIndex.all(), NDArrayIndex.interval(0, used + t)).dup('c');
        return new Step(positions, pad, used);
    }

    /**
     * {@link #begin} for the decode fast path ({@link GptDecodeStep}): one new slot, every sequence's
     * token real (no mask). Builds no ND4J arrays: positions are {@link #lengths} as they stand, and
     * the key padding lives in the flags the in-place kernel reads ({@code valid} is kept in step
     * for a later general-path call).
     *
     * @throws IllegalArgumentException when the cache is full
     */
    void beginSingle() {
        if (used + 1 > capacity) {
            throw new IllegalArgumentException("KvCache.begin: appending 1 slot to " + used
                    + " exceeds the capacity " + capacity + "; allocate a larger cache or reset() it");
        }
        for (int b = 0; b < batch; b++) {
            valid.putScalar(b, used, 1);
            validFlags[b * capacity + used] = true;
        }
        pending = 1;
    }

    /** Position of sequence b's next real token (its real tokens so far), without copying {@link #lengths}. */
    long length(int b) {
        return lengths[b];
    }

    Object decodeScratch() {
        return decodeScratch;
    }

    void decodeScratch(Object scratch) {
        this.decodeScratch = scratch;
    }

    /**
     * Writes layer {@code layer}'s new keys and values (B, Hkv, t, hs) into the pending slots and
     * returns all of them so far, (B, Hkv, used + t, hs) each (copies the attention may read freely).
     */
    public INDArray[] update(int layer, INDArray k, INDArray v) {
        if (pending < 0) {
            throw new IllegalStateException("KvCache.update outside a call: begin() first");
        }
        if (layer < 0 || layer >= keys.length) {
            throw new IllegalArgumentException("layer must be in [0, " + keys.length + ") but was " + layer);
        }
        long[] expected = {batch, keys[layer].size(1), pending, keys[layer].size(3)};
        if (!Arrays.equals(k.shape(), expected) || !Arrays.equals(v.shape(), expected)) {
            throw new IllegalArgumentException("KvCache.update: k and v must have shape " + Arrays.toString(expected)
                    + " but have " + Arrays.toString(k.shape()) + " and " + Arrays.toString(v.shape()));
        }
        keys[layer].get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(used, used + pending),
                NDArrayIndex.all()).assign(k);
        values[layer].get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(used, used + pending),
                NDArrayIndex.all()).assign(v);
        int n = used + pending;
        return new INDArray[] {
            keys[layer].get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, n), NDArrayIndex.all()).dup('c'),
            values[layer].get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, n), NDArrayIndex.all()).dup('c')
        };
    }

    /** Finishes the call: the pending slots become part of the cache, per-sequence lengths advance. */
    public void commit(INDArray mask) {
        if (pending < 0) {
            throw new IllegalStateException("KvCache.commit outside a call: begin() first");
        }
        boolean[] real = PositionIds.realFlags(mask, batch, pending);
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < pending; i++) {
                if (real == null || real[b * pending + i]) {
                    lengths[b]++;
                }
            }
        }
        used += pending;
        pending = -1;
    }

    /** Abandons a call that failed midway (its slots are neither valid nor counted). */
    public void rollback() {
        if (pending > 0) {
            for (int b = 0; b < batch; b++) {
                for (int i = 0; i < pending; i++) {
                    valid.putScalar(b, used + i, 0);
                    validFlags[b * capacity + used + i] = false;
                }
            }
        }
        pending = -1;
    }

    /** Empties the cache for reuse (the buffers are kept). */
    public void reset() {
        used = 0;
        pending = -1;
        Arrays.fill(lengths, 0);
        Arrays.fill(validFlags, false);
        valid.assign(0);
    }

    // ------------------------------------------------------------ in-place access for CachedAttention

    /**
     * Whether {@link CachedAttention} may read and write this cache's memory directly: ND4J's CPU
     * backend (host memory), float32 or float64, and no portable path forced.
     */
    boolean directAccess() {
        return HostMemory.available() && (keyFloats[0] != null || keyDoubles[0] != null);
    }

    /** Slots appended by the call in progress (after {@link #begin}), else -1. */
    int pending() {
        return pending;
    }

    int nKvHead() {
        return nKvHead;
    }

    int headDim() {
        return headDim;
    }

    DataType dtype() {
        return dtype;
    }

    /** Whether slot {@code slot} of sequence {@code b} holds a real token (set by {@link #begin}). */
    boolean isValid(int b, int slot) {
        return validFlags[b * capacity + slot];
    }

    /** Flat index of element d of slot {@code slot}, kv head {@code h}, sequence {@code b} in a (B, Hkv, capacity, hs) buffer. */
    int index(int b, int h, int slot, int d) {
        return ((b * nKvHead + h) * capacity + slot) * headDim + d;
    }

    double key(int layer, int idx) {
        FloatBuffer f = keyFloats[layer];
        return f != null ? f.get(idx) : keyDoubles[layer].get(idx);
    }

    double value(int layer, int idx) {
        FloatBuffer f = valueFloats[layer];
        return f != null ? f.get(idx) : valueDoubles[layer].get(idx);
    }

    void putKey(int layer, int idx, double x) {
        FloatBuffer f = keyFloats[layer];
        if (f != null) {
            f.put(idx, (float) x);
        } else {
            keyDoubles[layer].put(idx, x);
        }
    }

    void putValue(int layer, int idx, double x) {
        FloatBuffer f = valueFloats[layer];
        if (f != null) {
            f.put(idx, (float) x);
        } else {
            valueDoubles[layer].put(idx, x);
        }
    }

    /** Checks the layer index and that a call is in progress. */
    void checkLayer(String who, int layer) {
        if (pending < 0) {
            throw new IllegalStateException(who + " outside a call: begin() first");
        }
        if (layer < 0 || layer >= keys.length) {
            throw new IllegalArgumentException("layer must be in [0, " + keys.length + ") but was " + layer);
        }
    }

    /** Slots filled (the same for every sequence, padding included). */
    public int used() {
        return used;
    }

    public int capacity() {
        return capacity;
    }

    public int batch() {
        return batch;
    }

    /** Real tokens per sequence so far. */
    public long[] lengths() {
        return lengths.clone();
    }
}
