package dev.tessera.core;

import dev.tessera.host.HostMemory;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Every fused Java-loop kernel against its portable ND4J path (the naive reference), forward and backward. */
class FusedKernelsTest {
    @AfterEach
    void restore() {
        HostMemory.setForcePortable(false);
    }

    private static INDArray[] run(boolean portable, Function<Tensor[], Tensor> f, INDArray upstream, INDArray... values) {
        HostMemory.setForcePortable(portable);
        Tensor[] in = new Tensor[values.length];
        for (int i = 0; i < values.length; i++) {
            in[i] = Tensor.variable(values[i].dup());
        }
        Tensor out = f.apply(in);
        out.backward(upstream);
        INDArray[] res = new INDArray[values.length + 1];
        res[0] = out.data();
        for (int i = 0; i < values.length; i++) {
            res[i + 1] = in[i].grad();
        }
        return res;
    }

    private static void compare(String name, double tol, Function<Tensor[], Tensor> f, long[] outShape, DataType dtype, INDArray... values) {
        INDArray upstream = new Rng(3).normal(dtype, 0, 1, outShape);
        INDArray[] fast = run(false, f, upstream, values);
        INDArray[] slow = run(true, f, upstream, values);
        for (int i = 0; i < fast.length; i++) {
            double diff = fast[i].sub(slow[i]).amaxNumber().doubleValue();
            double scale = Math.max(1, slow[i].amaxNumber().doubleValue());
            assertTrue(diff <= tol * scale, name + " output " + i + " differs by " + diff);
        }
    }

    @Test
    void embeddingBackwardHostCopiesMatchPortable() {
        Rng rng = new Rng(2);
        int[][] ids = {{3, 0, 3, 9}, {9, 9, 1, 3}}; // repeated ids: their gradients must add up
        for (DataType dtype : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            INDArray table = rng.normal(dtype, 0, 1, 10, 6);
            INDArray idx = org.nd4j.linalg.factory.Nd4j.createFromArray(ids);
            compare("embedding", 0, t -> Indexing.embedding(t[0], idx), new long[] {2, 4, 6}, dtype, table);
            compare("indexSelect", 0, t -> Indexing.indexSelect(t[0], 0, new int[] {4, 4, 0, 9}), new long[] {4, 6}, dtype, table);
        }
    }

    @Test
    void layerNormFusedMatchesPortable() {
        Rng rng = new Rng(1);
        for (DataType dtype : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            double tol = dtype == DataType.FLOAT ? 1e-5 : 1e-12;
            INDArray x = rng.normal(dtype, 2, 3, 4, 7, 33);
            INDArray w = rng.normal(dtype, 1, 0.5, 33);
            INDArray b = rng.normal(dtype, 0, 0.5, 33);
            long[] shape = {4, 7, 33};
            compare("layerNorm", tol, t -> Normalization.layerNorm(t[0], t[1], t[2], 1e-5), shape, dtype, x, w, b);
            compare("layerNorm no affine", tol, t -> Normalization.layerNorm(t[0], null, null, 1e-5), shape, dtype, x);
            compare("layerNorm on a view", tol,
                    t -> Normalization.layerNorm(t[0].transpose(0, 1), t[1], t[2], 1e-5), new long[] {7, 4, 33}, dtype, x, w, b);
        }
    }

    @Test
    void rmsNormFusedMatchesPortable() {
        Rng rng = new Rng(4);
        for (DataType dtype : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            double tol = dtype == DataType.FLOAT ? 1e-5 : 1e-12;
            INDArray x = rng.normal(dtype, 1, 3, 4, 7, 33);
            INDArray w = rng.normal(dtype, 1, 0.5, 33);
            long[] shape = {4, 7, 33};
            compare("rmsNorm", tol, t -> Normalization.rmsNorm(t[0], t[1], 1e-6), shape, dtype, x, w);
            compare("rmsNorm no weight", tol, t -> Normalization.rmsNorm(t[0], null, 1e-6), shape, dtype, x);
            compare("rmsNorm on a view", tol,
                    t -> Normalization.rmsNorm(t[0].transpose(0, 1), t[1], 1e-6), new long[] {7, 4, 33}, dtype, x, w);
            compare("rmsNorm batch 1", tol, t -> Normalization.rmsNorm(t[0], t[1], 1e-6), new long[] {1, 33}, dtype,
                    rng.normal(dtype, 0, 2, 1, 33), w);
        }
    }

    /** The fused RMS norm against a direct float64 evaluation of y = x / √(mean(x²) + eps) · w. */
    @Test
    void rmsNormFusedMatchesTheFormula() {
        INDArray x = new Rng(5).normal(DataType.DOUBLE, 0, 2, 3, 8);
        INDArray w = new Rng(6).normal(DataType.DOUBLE, 1, 0.3, 8);
        INDArray y = Normalization.rmsNorm(Tensor.constant(x), Tensor.constant(w), 1e-6).data();
        for (int r = 0; r < 3; r++) {
            double sq = 0;
            for (int j = 0; j < 8; j++) {
                sq += x.getDouble(r, j) * x.getDouble(r, j);
            }
            double inv = 1 / Math.sqrt(sq / 8 + 1e-6);
            for (int j = 0; j < 8; j++) {
                double expected = x.getDouble(r, j) * inv * w.getDouble(j);
                assertTrue(Math.abs(y.getDouble(r, j) - expected) <= 1e-12 * (1 + Math.abs(expected)),
                        "y[" + r + "][" + j + "] = " + y.getDouble(r, j) + " but the formula gives " + expected);
            }
        }
    }

    @Test
    void geluTanhFusedMatchesPortable() {
        INDArray x = new Rng(2).normal(DataType.FLOAT, 0, 3, 5, 64);
        compare("geluTanh", 1e-5, t -> t[0].geluTanh(), new long[] {5, 64}, DataType.FLOAT, x);
    }
}
