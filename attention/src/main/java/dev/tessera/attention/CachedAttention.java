package dev.tessera.attention;

import dev.tessera.host.HostMemory;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Incremental-decoding attention straight against a {@link KvCache}, as plain Java loops over the
 * cache's own memory: writes the new tokens' keys and values into their slots in place, then for
 * every query computes {@code softmax(scale · q kᵀ) v} over the slots it may see (causal, real
 * tokens only, optionally a sliding window measured in slots, as {@link KvCache} documents).
 * Inference only: no autograd node (the caller checks that nothing needs a gradient).
 *
 * <p>Performance note (issue 5): the general path ({@link KvCache#update} then
 * {@link ScaledDotProductAttention}) spends, per layer and token, two ND4J assigns into strided
 * views, two {@code dup}s of the whole cached prefix (growing with the sequence), the head
 * split/reshape/transpose views and two batched GEMMs on (1, 64)·(64, T) matrices. Each ND4J op
 * or MKL call costs 0.1–0.4 ms on the project's shared 2-core machine (measured: a 1×256
 * {@code add} 0.2–0.4 ms, a (1, 4, 100, 64) view {@code dup} 0.3–7 ms), so a decode step was a
 * few dozen dispatches per layer while the arithmetic is tiny (4 heads × 144 keys × 64 = 37k
 * multiply-adds per layer). Here it is one pass in Java: no dispatch, no copies of the prefix, and
 * one allocation (the output). Accumulation is in double for both dtypes.
 *
 * <p>Layouts: q is (B, t, H·hs) and k, v are (B, t, Hkv·hs), row-major, possibly columns of one
 * wider row (the fused {@code c_attn} output) — hence the row stride and column offset of each;
 * query head h reads kv head {@code h / (H / Hkv)} (the grouping of {@link FusedAttention}).
 * Output (B, t, H·hs), the layout the output projection reads, in the cache's dtype.
 */
final class CachedAttention {
    private CachedAttention() {}

    /** Rows of a row-major matrix held in {@code data}: row r's column c is {@code data[r·stride + offset + c]}. */
    record Rows(double[] data, int stride, int offset) {}

    /**
     * @param cache between {@link KvCache#begin} and {@link KvCache#commit}, with {@code directAccess()}
     * @param q (B, t, H·hs) query rows
     * @param k (B, t, Hkv·hs) the new tokens' keys
     * @param v (B, t, Hkv·hs) the new tokens' values
     * @param scale the softmax scale (1/sqrt(hs) for GPT-2)
     * @param window sliding window in slots, 0 for none
     * @return (B, t, H·hs) in the cache's dtype
     */
    static INDArray forward(KvCache cache, int layer, Rows q, Rows k, Rows v, int nHead, double scale, int window) {
        cache.checkLayer("CachedAttention.forward", layer);
        if (!cache.directAccess()) {
            throw new IllegalStateException("CachedAttention needs a float32/float64 cache in host memory; "
                    + "use KvCache.update and ScaledDotProductAttention instead");
        }
        int b = cache.batch();
        int t = cache.pending();
        int hkv = cache.nKvHead();
        int hs = cache.headDim();
        if (nHead <= 0 || nHead % hkv != 0) {
            throw new IllegalArgumentException("nHead must be a positive multiple of the cache's " + hkv
                    + " kv heads but was " + nHead);
        }
        double[] out = new double[b * t * nHead * hs]; // (B, t, H·hs)
        attendInto(cache, layer, q, k, v, nHead, scale, window, out, new double[cache.used() + t], new double[hs]);
        long c = (long) nHead * hs;
        if (cache.dtype() == DataType.DOUBLE) {
            return HostMemory.fromArray(out, b, t, c);
        }
        float[] f = new float[out.length];
        for (int i = 0; i < out.length; i++) {
            f[i] = (float) out[i];
        }
        return HostMemory.fromArray(f, b, t, c);
    }

    /**
     * The kernel of {@link #forward}, writing into caller-owned arrays so that a decode loop
     * ({@link GptDecodeStep}) allocates nothing per token. The caller has made {@link #forward}'s
     * checks (cache inside a call, direct access, nHead a multiple of the kv heads).
     *
     * @param out (B, t, H·hs) row-major, fully written (rows without a visible key get zeros)
     * @param p scratch for one query's scores, at least {@code used + t} long
     * @param acc scratch, at least hs long
     */
    static void attendInto(KvCache cache, int layer, Rows q, Rows k, Rows v, int nHead, double scale, int window,
            double[] out, double[] p, double[] acc) {
        int b = cache.batch();
        int t = cache.pending();
        int hkv = cache.nKvHead();
        int hs = cache.headDim();
        int start = cache.used(); // slot of the first new token
        int group = nHead / hkv;
        // write the new keys and values into their slots: (B, t, Hkv·hs) rows → (B, Hkv, capacity, hs)
        for (int bb = 0; bb < b; bb++) {
            for (int i = 0; i < t; i++) {
                int row = bb * t + i;
                for (int h = 0; h < hkv; h++) {
                    int kBase = row * k.stride() + k.offset() + h * hs;
                    int vBase = row * v.stride() + v.offset() + h * hs;
                    int dst = cache.index(bb, h, start + i, 0);
                    for (int d = 0; d < hs; d++) {
                        cache.putKey(layer, dst + d, k.data()[kBase + d]);
                        cache.putValue(layer, dst + d, v.data()[vBase + d]);
                    }
                }
            }
        }
        for (int bb = 0; bb < b; bb++) {
            for (int i = 0; i < t; i++) {
                int row = bb * t + i;
                int qSlot = start + i;
                int first = window > 0 ? Math.max(0, qSlot - window + 1) : 0; // qSlot − j < window
                for (int h = 0; h < nHead; h++) {
                    int kh = h / group;
                    int qBase = row * q.stride() + q.offset() + h * hs;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = first; j <= qSlot; j++) {
                        if (!cache.isValid(bb, j)) {
                            continue;
                        }
                        int kBase = cache.index(bb, kh, j, 0);
                        double s = 0;
                        for (int d = 0; d < hs; d++) {
                            s += q.data()[qBase + d] * cache.key(layer, kBase + d);
                        }
                        s *= scale;
                        p[j] = s;
                        max = Math.max(max, s);
                    }
                    int oBase = row * nHead * hs + h * hs;
                    if (max == Double.NEGATIVE_INFINITY) {
                        Arrays.fill(out, oBase, oBase + hs, 0);
                        continue; // no visible key (a padding query with nothing before it): output zeros, not NaN
                    }
                    double sum = 0;
                    Arrays.fill(acc, 0);
                    for (int j = first; j <= qSlot; j++) {
                        if (!cache.isValid(bb, j)) {
                            continue;
                        }
                        double e = Math.exp(p[j] - max);
                        sum += e;
                        int vBase = cache.index(bb, kh, j, 0);
                        for (int d = 0; d < hs; d++) {
                            acc[d] += e * cache.value(layer, vBase + d);
                        }
                    }
                    for (int d = 0; d < hs; d++) {
                        out[oBase + d] = acc[d] / sum;
                    }
                }
            }
        }
    }

    /** The row-major elements of a dense or strided array, widened to double (one bulk copy for dense arrays). */
    static double[] doubles(INDArray x) {
        if (x.dataType() == DataType.DOUBLE) {
            return HostMemory.toDoubleArray(x);
        }
        float[] f = HostMemory.toFloatArray(x);
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
