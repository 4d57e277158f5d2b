package dev.tessera.core;

import dev.tessera.host.HostMemory;
import dev.tessera.host.Scratch;
import java.lang.ref.Reference;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Layer norm and RMS norm over the last dimension, each one node whose backward reads what the
 * forward saved (the normalised input and the reciprocal standard deviation), as llm.c's
 * {@code layernorm_forward}/{@code layernorm_backward} pair.
 */
public final class Normalization {
    private Normalization() {}

    /**
     * y = (x - mean) / sqrt(var + eps) · weight + bias over the last dim (biased variance, as
     * PyTorch). {@code weight} and {@code bias} are (C) or null (no affine part).
     */
    public static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, double eps) {
        Checks.floating("layerNorm", "x", x);
        long c = x.size(-1);
        checkAffine("layerNorm", x, weight, "weight", c);
        checkAffine("layerNorm", x, bias, "bias", c);
        long[] shape = x.shape();
        if (HostMemory.available() && x.dtype() == DataType.FLOAT && c > 0) {
            return fusedNorm("layerNorm", x, weight, bias, eps, shape, (int) c, false);
        }
        return portableLayerNorm(x, weight, bias, eps, shape, c);
    }

    /**
     * The host path (CPU, float32): SIMD rows over the arrays' memory, multi-threaded; see
     * {@link NormKernel}. Saves the per-row mean and 1/σ for the backward, not x̂.
     *
     * <p>Where no gradient will be taken, the weights and statistics live in the calling thread's
     * reused {@link Scratch} arrays instead of new ones: a fresh Java array lands on heap pages the
     * JVM has not touched yet for as long as its young generation has not been cycled, and on the
     * Firecracker VMs Tessera is measured on a first touch costs several microseconds per 4 KB page.
     * Layer norm over (2048, 768) allocated 27 KB and took 6.7 page faults per call with new arrays,
     * 4.7 KB and 1.2 with these.
     */
    private static Tensor fusedNorm(String op, Tensor x, Tensor weight, Tensor bias, double eps, long[] shape, int c, boolean rms) {
        int n = Math.toIntExact(x.length() / c);
        Tensor[] inputs = inputs(x, weight, bias);
        boolean keep = Tensor.records(inputs); // the backward keeps w, b, mean and rstd
        INDArray xd = HostMemory.dense(x.data()); // (N·C) row-major; kept by the backward closure
        float[] w = weight == null ? null : weights(weight, keep, c, Scratch.FIRST_OP_SLOT); // (C)
        float[] b = bias == null ? null : weights(bias, keep, c, Scratch.FIRST_OP_SLOT + 1); // (C)
        float[] mean = rms ? null : keep ? new float[n] : Scratch.floats(Scratch.FIRST_OP_SLOT + 2, n); // (N)
        float[] rstd = keep ? new float[n] : Scratch.floats(Scratch.FIRST_OP_SLOT + 3, n); // (N)
        INDArray y = HostMemory.newFloats(shape);
        NormKernel.forward(xd, w, b, n, c, (float) eps, rms, y, mean, rstd);
        // fromOp keeps the closure exactly where Tensor.records said so, never over the reused arrays
        return Tensor.fromOp(op, y, g -> {
            INDArray gd = HostMemory.dense(g);
            INDArray dx = x.requiresGrad() ? HostMemory.newFloats(shape) : null;
            float[] dw = weight != null && weight.requiresGrad() ? new float[c] : null;
            float[] db = bias != null && bias.requiresGrad() ? new float[c] : null;
            NormKernel.backward(HostMemory.floats(gd), HostMemory.floats(xd), mean, rstd, w, n, c, rms,
                    dx == null ? null : HostMemory.floats(dx), dw, db);
            Reference.reachabilityFence(gd);
            Reference.reachabilityFence(xd);
            if (dx != null) {
                x.accumulateGradOwned(dx);
            }
            if (dw != null) {
                weight.accumulateGradOwned(HostMemory.fromArray(dw, c));
            }
            if (db != null) {
                bias.accumulateGradOwned(HostMemory.fromArray(db, c));
            }
        }, inputs);
    }

    /** A norm's (C) weight or bias as floats: a new array where the backward keeps it, else a reused one. */
    private static float[] weights(Tensor t, boolean keep, int c, int slot) {
        return keep ? HostMemory.toFloatArray(t.data()) : HostMemory.toFloatArray(t.data(), Scratch.floats(slot, c));
    }

    /** The portable path, only ND4J ops (runs on any backend, e.g. CUDA). */
    static Tensor portableLayerNorm(Tensor x, Tensor weight, Tensor bias, double eps, long[] shape, long c) {
        INDArray x2 = x.data().reshape('c', -1, c); // (N, C)
        INDArray mean = x2.mean(true, 1); // (N, 1)
        INDArray xc = x2.subColumnVector(mean);
        INDArray var = xc.mul(xc).mean(true, 1);
        INDArray rstd = Transforms.pow(var.addi(eps), -0.5, false); // (N, 1)
        INDArray xhat = xc.muliColumnVector(rstd); // (N, C)
        INDArray y = weight == null ? xhat.dup() : xhat.mulRowVector(weight.data());
        if (bias != null) {
            y.addiRowVector(bias.data());
        }
        Tensor[] inputs = inputs(x, weight, bias);
        return Tensor.fromOp("layerNorm", y.reshape('c', shape), g -> {
            INDArray g2 = g.reshape('c', -1, c);
            if (weight != null && weight.requiresGrad()) {
                weight.accumulateGradOwned(g2.mul(xhat).sum(0));
            }
            if (bias != null && bias.requiresGrad()) {
                bias.accumulateGradOwned(g2.sum(0));
            }
            if (x.requiresGrad()) {
                INDArray dxhat = weight == null ? g2.dup() : g2.mulRowVector(weight.data());
                INDArray meanD = dxhat.mean(true, 1);
                INDArray meanDX = dxhat.mul(xhat).mean(true, 1);
                // dx = rstd · (dxhat - mean(dxhat) - xhat · mean(dxhat · xhat))
                INDArray dx = dxhat.subiColumnVector(meanD).subi(xhat.mulColumnVector(meanDX)).muliColumnVector(rstd);
                x.accumulateGradOwned(dx.reshape('c', shape));
            }
        }, inputs);
    }

    /** y = x / sqrt(mean(x²) + eps) · weight over the last dim; {@code weight} is (C) or null. */
    public static Tensor rmsNorm(Tensor x, Tensor weight, double eps) {
        Checks.floating("rmsNorm", "x", x);
        long c = x.size(-1);
        checkAffine("rmsNorm", x, weight, "weight", c);
        long[] shape = x.shape();
        if (HostMemory.available() && x.dtype() == DataType.FLOAT && c > 0) {
            return fusedNorm("rmsNorm", x, weight, null, eps, shape, (int) c, true);
        }
        return portableRmsNorm(x, weight, eps, shape, c);
    }

    /** The portable path, only ND4J ops (runs on any backend, e.g. CUDA). */
    static Tensor portableRmsNorm(Tensor x, Tensor weight, double eps, long[] shape, long c) {
        INDArray x2 = x.data().reshape('c', -1, c); // (N, C)
        INDArray rstd = Transforms.pow(x2.mul(x2).mean(true, 1).addi(eps), -0.5, false); // (N, 1)
        INDArray xhat = x2.mulColumnVector(rstd);
        INDArray y = weight == null ? xhat.dup() : xhat.mulRowVector(weight.data());
        Tensor[] inputs = inputs(x, weight, null);
        return Tensor.fromOp("rmsNorm", y.reshape('c', shape), g -> {
            INDArray g2 = g.reshape('c', -1, c);
            if (weight != null && weight.requiresGrad()) {
                weight.accumulateGradOwned(g2.mul(xhat).sum(0));
            }
            if (x.requiresGrad()) {
                INDArray dxhat = weight == null ? g2.dup() : g2.mulRowVector(weight.data());
                INDArray meanDX = dxhat.mul(xhat).mean(true, 1);
                // dx = rstd · (dxhat - xhat · mean(dxhat · xhat))
                INDArray dx = dxhat.subi(xhat.mulColumnVector(meanDX)).muliColumnVector(rstd);
                x.accumulateGradOwned(dx.reshape('c', shape));
            }
        }, inputs);
    }

    private static void checkAffine(String op, Tensor x, Tensor p, String name, long c) {
        if (p == null) {
            return;
        }
        Checks.sameDtype(op, "x", x, name, p);
        Checks.shape(op, name, p.data(), c);
    }

    private static Tensor[] inputs(Tensor x, Tensor w, Tensor b) {
        if (w != null && b != null) {
            return new Tensor[] {x, w, b};
        }
        if (w != null) {
            return new Tensor[] {x, w};
        }
        if (b != null) {
            return new Tensor[] {x, b};
        }
        return new Tensor[] {x};
    }
}
