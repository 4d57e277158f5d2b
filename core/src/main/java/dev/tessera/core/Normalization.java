package dev.tessera.core;

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
        if (HostBuffers.available() && (x.dtype() == DataType.FLOAT || x.dtype() == DataType.DOUBLE)) {
            return fusedLayerNorm(x, weight, bias, eps, shape, (int) c);
        }
        return portableLayerNorm(x, weight, bias, eps, shape, c);
    }

    /** The fused Java-loop path (CPU): two passes forward, two backward; see {@link LayerNormKernel}. */
    private static Tensor fusedLayerNorm(Tensor x, Tensor weight, Tensor bias, double eps, long[] shape, int c) {
        int n = Math.toIntExact(x.length() / c);
        Tensor[] inputs = inputs(x, weight, bias);
        if (x.dtype() == DataType.DOUBLE) {
            double[] xs = HostBuffers.doubles(x.data());
            double[] w = weight == null ? null : HostBuffers.doubles(weight.data());
            double[] b = bias == null ? null : HostBuffers.doubles(bias.data());
            double[] y = new double[xs.length];
            double[] xhat = new double[xs.length];
            double[] rstd = new double[n];
            LayerNormKernel.forward(xs, w, b, n, c, eps, y, xhat, rstd);
            return Tensor.fromOp("layerNorm", HostBuffers.of(y, shape), g -> {
                double[] dx = x.requiresGrad() ? new double[xhat.length] : null;
                double[] dw = weight != null && weight.requiresGrad() ? new double[c] : null;
                double[] db = bias != null && bias.requiresGrad() ? new double[c] : null;
                LayerNormKernel.backward(HostBuffers.doubles(g), xhat, rstd, w, n, c, dx, dw, db);
                accumulate(x, dx, shape, weight, dw, bias, db);
            }, inputs);
        }
        float[] xs = HostBuffers.floats(x.data());
        float[] w = weight == null ? null : HostBuffers.floats(weight.data());
        float[] b = bias == null ? null : HostBuffers.floats(bias.data());
        float[] y = new float[xs.length];
        float[] xhat = new float[xs.length];
        float[] rstd = new float[n];
        LayerNormKernel.forward(xs, w, b, n, c, eps, y, xhat, rstd);
        return Tensor.fromOp("layerNorm", HostBuffers.of(y, shape), g -> {
            float[] dx = x.requiresGrad() ? new float[xhat.length] : null;
            float[] dw = weight != null && weight.requiresGrad() ? new float[c] : null;
            float[] db = bias != null && bias.requiresGrad() ? new float[c] : null;
            LayerNormKernel.backward(HostBuffers.floats(g), xhat, rstd, w, n, c, dx, dw, db);
            if (dx != null) {
                x.accumulateGradOwned(HostBuffers.of(dx, shape));
            }
            if (dw != null) {
                weight.accumulateGradOwned(HostBuffers.of(dw, c));
            }
            if (db != null) {
                bias.accumulateGradOwned(HostBuffers.of(db, c));
            }
        }, inputs);
    }

    private static void accumulate(Tensor x, double[] dx, long[] shape, Tensor weight, double[] dw, Tensor bias, double[] db) {
        if (dx != null) {
            x.accumulateGradOwned(HostBuffers.of(dx, shape));
        }
        if (dw != null) {
            weight.accumulateGradOwned(HostBuffers.of(dw, dw.length));
        }
        if (db != null) {
            bias.accumulateGradOwned(HostBuffers.of(db, db.length));
        }
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
        if (HostBuffers.available() && (x.dtype() == DataType.FLOAT || x.dtype() == DataType.DOUBLE)) {
            return fusedRmsNorm(x, weight, eps, shape, (int) c);
        }
        return portableRmsNorm(x, weight, eps, shape, c);
    }

    /** The fused Java-loop path (CPU): two passes forward, two backward; see {@link RmsNormKernel}. */
    private static Tensor fusedRmsNorm(Tensor x, Tensor weight, double eps, long[] shape, int c) {
        int n = Math.toIntExact(x.length() / c);
        Tensor[] inputs = inputs(x, weight, null);
        if (x.dtype() == DataType.DOUBLE) {
            double[] xs = HostBuffers.doubles(x.data());
            double[] w = weight == null ? null : HostBuffers.doubles(weight.data());
            double[] y = new double[xs.length];
            double[] xhat = new double[xs.length];
            double[] rstd = new double[n];
            RmsNormKernel.forward(xs, w, n, c, eps, y, xhat, rstd);
            return Tensor.fromOp("rmsNorm", HostBuffers.of(y, shape), g -> {
                double[] dx = x.requiresGrad() ? new double[xhat.length] : null;
                double[] dw = weight != null && weight.requiresGrad() ? new double[c] : null;
                RmsNormKernel.backward(HostBuffers.doubles(g), xhat, rstd, w, n, c, dx, dw);
                accumulate(x, dx, shape, weight, dw, null, null);
            }, inputs);
        }
        float[] xs = HostBuffers.floats(x.data());
        float[] w = weight == null ? null : HostBuffers.floats(weight.data());
        float[] y = new float[xs.length];
        float[] xhat = new float[xs.length];
        float[] rstd = new float[n];
        RmsNormKernel.forward(xs, w, n, c, eps, y, xhat, rstd);
        return Tensor.fromOp("rmsNorm", HostBuffers.of(y, shape), g -> {
            float[] dx = x.requiresGrad() ? new float[xhat.length] : null;
            float[] dw = weight != null && weight.requiresGrad() ? new float[c] : null;
            RmsNormKernel.backward(HostBuffers.floats(g), xhat, rstd, w, n, c, dx, dw);
            if (dx != null) {
                x.accumulateGradOwned(HostBuffers.of(dx, shape));
            }
            if (dw != null) {
                weight.accumulateGradOwned(HostBuffers.of(dw, c));
            }
        }, inputs);
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
