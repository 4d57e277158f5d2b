package dev.tessera.core;

import static dev.tessera.testing.GradCheck.check;
import static dev.tessera.testing.GradCheck.randomVariable;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Finite-difference checks (float64) for every op, on contiguous inputs and on views, batch 1 and > 1. */
class OpsGradientTest {

    /** How an input is laid out in memory: the op must not care. */
    enum Layout { CONTIGUOUS, TRANSPOSED, SLICED }

    static Stream<Arguments> layouts() {
        return Stream.of(Layout.values()).flatMap(l -> Stream.of(Arguments.of(l, 1), Arguments.of(l, 3)));
    }

    /** A float64 variable of shape (batch, rows, cols) whose data is laid out as asked. */
    static Tensor input(Rng rng, Layout layout, long... shape) {
        return switch (layout) {
            case CONTIGUOUS -> randomVariable(rng, shape);
            case TRANSPOSED -> {
                long[] swapped = shape.clone();
                int r = shape.length;
                swapped[r - 1] = shape[r - 2];
                swapped[r - 2] = shape[r - 1];
                INDArray base = rng.normal(DataType.DOUBLE, 0, 1, swapped);
                int[] perm = new int[r];
                for (int i = 0; i < r; i++) {
                    perm[i] = i;
                }
                perm[r - 1] = r - 2;
                perm[r - 2] = r - 1;
                yield Tensor.variable(base.permute(perm));
            }
            case SLICED -> {
                long[] bigger = shape.clone();
                bigger[shape.length - 1] += 3;
                INDArray base = rng.normal(DataType.DOUBLE, 0, 1, bigger);
                NDArrayIndexHolder idx = new NDArrayIndexHolder(shape.length, shape[shape.length - 1]);
                yield Tensor.variable(base.get(idx.indices));
            }
        };
    }

    private static final class NDArrayIndexHolder {
        final org.nd4j.linalg.indexing.INDArrayIndex[] indices;

        NDArrayIndexHolder(int rank, long lastLen) {
            indices = new org.nd4j.linalg.indexing.INDArrayIndex[rank];
            for (int i = 0; i < rank; i++) {
                indices[i] = i == rank - 1 ? NDArrayIndex.interval(1, 1 + lastLen) : NDArrayIndex.all();
            }
        }
    }

    @ParameterizedTest
    @MethodSource("layouts")
    void binaryArithmetic(Layout layout, int batch) {
        Rng rng = new Rng(1);
        Tensor a = input(rng, layout, batch, 3, 4);
        Tensor b = input(rng, layout, batch, 3, 4);
        Tensor pos = Tensor.variable(rng.uniform(DataType.DOUBLE, 0.5, 2, batch, 3, 4));
        check("add", t -> t[0].add(t[1]), a, b);
        check("sub", t -> t[0].sub(t[1]), a, b);
        check("mul", t -> t[0].mul(t[1]), a, b);
        check("div", t -> t[0].div(t[1]), a, pos);
    }

    @ParameterizedTest
    @MethodSource("layouts")
    void broadcastArithmetic(Layout layout, int batch) {
        Rng rng = new Rng(2);
        Tensor a = input(rng, layout, batch, 3, 4);
        Tensor row = randomVariable(rng, 4);
        Tensor col = randomVariable(rng, batch, 3, 1);
        Tensor pos = Tensor.variable(rng.uniform(DataType.DOUBLE, 0.5, 2, 1, 3, 4));
        check("addBroadcast row", t -> t[0].addBroadcast(t[1]), a, row);
        check("subBroadcast col", t -> t[0].subBroadcast(t[1]), a, col);
        check("mulBroadcast reversed", t -> t[1].mulBroadcast(t[0]), a, row);
        check("divBroadcast", t -> t[0].divBroadcast(t[1]), a, pos);
    }

    @ParameterizedTest
    @MethodSource("layouts")
    void unaryAndActivations(Layout layout, int batch) {
        Rng rng = new Rng(3);
        Tensor x = input(rng, layout, batch, 3, 4);
        Tensor pos = Tensor.variable(rng.uniform(DataType.DOUBLE, 0.5, 2, batch, 3, 4));
        check("exp", t -> t[0].exp(), x);
        check("log", t -> t[0].log(), pos);
        check("sqrt", t -> t[0].sqrt(), pos);
        check("pow", t -> t[0].pow(3), x);
        check("abs", t -> t[0].abs(), x);
        check("scalar", t -> t[0].mul(2.5).add(-1.0).neg(), x);
        check("tanh", t -> t[0].tanh(), x);
        check("sigmoid", t -> t[0].sigmoid(), x);
        check("relu", t -> t[0].relu(), x);
        check("silu", t -> t[0].silu(), x);
        check("gelu", t -> t[0].gelu(), x);
        check("geluTanh", t -> t[0].geluTanh(), x);
    }

    @ParameterizedTest
    @MethodSource("layouts")
    void matmulFamilies(Layout layout, int batch) {
        Rng rng = new Rng(4);
        Tensor a = input(rng, layout, batch, 3, 4);
        Tensor w = input(rng, layout, 4, 5);
        Tensor b3 = input(rng, layout, batch, 4, 2);
        Tensor b1 = input(rng, layout, 1, 4, 2);
        Tensor bias = randomVariable(rng, 5);
        check("matmul folded", t -> t[0].matmul(t[1]), a, w);
        check("matmul batched", t -> t[0].matmul(t[1]), a, b3);
        check("matmul broadcast batch", t -> t[0].matmul(t[1]), a, b1);
        check("matmul 2d", t -> t[0].matmul(t[1]), input(rng, layout, 3, 4), w);
        check("linear", t -> MatMul.linear(t[0], t[1], t[2]), a, w, bias);
        check("linear no bias", t -> MatMul.linear(t[0], t[1], null), a, w);
        check("linearGelu", t -> MatMul.linearGelu(t[0], t[1], t[2]), a, w, bias);
        check("linearGeluTanh", t -> MatMul.linearGeluTanh(t[0], t[1], t[2]), a, w, bias);
        check("linearGeluTanh no bias", t -> MatMul.linearGeluTanh(t[0], t[1], null), a, w);
    }

    @ParameterizedTest
    @MethodSource("layouts")
    void reductions(Layout layout, int batch) {
        Rng rng = new Rng(5);
        Tensor x = input(rng, layout, batch, 3, 4);
        check("sumAll", t -> t[0].sum(), x);
        check("meanAll", t -> t[0].mean(), x);
        check("sum axis", t -> t[0].sum(false, 1), x);
        check("sum axes keep", t -> t[0].sum(true, 0, 2), x);
        check("mean last", t -> t[0].mean(false, -1), x);
        check("max", t -> t[0].max(-1, false), x);
        check("max keep", t -> t[0].max(1, true), x);
        check("logSumExp", t -> t[0].logSumExp(-1, false), x);
        check("logSumExp keep axis 1", t -> t[0].logSumExp(1, true), x);
    }

    @ParameterizedTest
    @MethodSource("layouts")
    void softmaxes(Layout layout, int batch) {
        Rng rng = new Rng(6);
        Tensor x = input(rng, layout, batch, 3, 4);
        check("softmax", t -> t[0].softmax(-1), x);
        check("softmax axis 1", t -> t[0].softmax(1), x);
        check("logSoftmax", t -> t[0].logSoftmax(-1), x);
        check("logSoftmax axis 0", t -> t[0].logSoftmax(0), x);
    }

    @ParameterizedTest
    @MethodSource("layouts")
    void shapeOps(Layout layout, int batch) {
        Rng rng = new Rng(7);
        Tensor x = input(rng, layout, batch, 3, 4);
        Tensor y = input(rng, layout, batch, 3, 4);
        check("reshape", t -> t[0].reshape(-1, 2).mul(t[0].reshape(-1, 2)), x);
        check("transpose", t -> t[0].transpose(1, 2).matmul(t[0]), x);
        check("permute", t -> t[0].permute(2, 0, 1).exp(), x);
        check("slice", t -> t[0].slice(2, 1, 3).tanh(), x);
        check("unsqueeze/squeeze", t -> t[0].unsqueeze(1).squeeze(1).mul(t[0]), x);
        check("contiguous", t -> t[0].transpose(0, 2).contiguous().sigmoid(), x);
        check("concat", t -> ShapeOps.concat(1, List.of(t[0], t[1].exp(), t[0])), x, y);
        check("split", t -> {
            List<Tensor> parts = ShapeOps.split(t[0], -1, 1, 3);
            return parts.get(0).mulBroadcast(parts.get(1));
        }, x);
    }

    @ParameterizedTest
    @MethodSource("layouts")
    void indexing(Layout layout, int batch) {
        Rng rng = new Rng(8);
        Tensor table = input(rng, layout, 6, 4);
        INDArray ids = Nd4j.createFromArray(new int[][] {{0, 5, 2, 5}, {1, 1, 3, 0}, {4, 2, 2, 2}})
                .get(NDArrayIndex.interval(0, batch), NDArrayIndex.all());
        check("embedding", t -> Indexing.embedding(t[0], ids), table);
        check("indexSelect dim 0", t -> Indexing.indexSelect(t[0], 0, new int[] {3, 0, 3}), table);
        check("indexSelect dim 1", t -> Indexing.indexSelect(t[0], 1, new int[] {2, 2, 1}), table);
        Tensor x = input(rng, layout, batch, 3, 4);
        INDArray pick = Nd4j.createFromArray(new long[][][] {{{0, 3, 2}}, {{1, 1, 0}}, {{3, 2, 2}}})
                .reshape(3, 3).get(NDArrayIndex.interval(0, batch), NDArrayIndex.all()).dup();
        check("gatherLast", t -> Indexing.gatherLast(t[0], pick), x);
        Tensor mask = Tensor.constant(Nd4j.createFromArray(new boolean[][] {
                {true, false, false, true}, {false, false, true, false}, {false, true, false, false}}));
        check("maskedFill", t -> t[0].maskedFill(mask, -3.0), x);
        Tensor y = input(rng, layout, batch, 3, 4);
        Tensor cond = Tensor.constant(rng.uniform(DataType.DOUBLE, 0, 1, batch, 3, 4).gt(0.5));
        check("where", t -> Indexing.where(cond, t[0], t[1]), x, y);
    }

    @ParameterizedTest
    @MethodSource("layouts")
    void normalization(Layout layout, int batch) {
        Rng rng = new Rng(9);
        Tensor x = input(rng, layout, batch, 3, 5);
        Tensor w = randomVariable(rng, 5);
        Tensor b = randomVariable(rng, 5);
        check("layerNorm", t -> Normalization.layerNorm(t[0], t[1], t[2], 1e-5), x, w, b);
        check("layerNorm no affine", t -> Normalization.layerNorm(t[0], null, null, 1e-5), x);
        check("rmsNorm", t -> Normalization.rmsNorm(t[0], t[1], 1e-6), x, w);
        check("rmsNorm no weight", t -> Normalization.rmsNorm(t[0], null, 1e-6), x);
    }

    @Test
    void dropoutUsesOneMaskForForwardAndBackward() {
        Rng rng = new Rng(10);
        Tensor x = randomVariable(rng, 2, 3, 4);
        long[] state = rng.state();
        check("dropout", t -> {
            rng.setState(state); // the same mask at every evaluation
            return Dropout.dropout(t[0], 0.3, rng);
        }, x);
    }

    @Test
    void gradientsAccumulateAcrossBackwardCallsUntilZeroed() {
        Tensor x = Tensor.variable(Nd4j.createFromArray(1.0, 2.0, 3.0));
        x.mul(2.0).sum().backward();
        x.mul(3.0).sum().backward();
        org.junit.jupiter.api.Assertions.assertArrayEquals(new double[] {5, 5, 5}, x.grad().toDoubleVector(), 0);
        x.zeroGrad();
        x.mul(x).sum().backward();
        org.junit.jupiter.api.Assertions.assertArrayEquals(new double[] {2, 4, 6}, x.grad().toDoubleVector(), 1e-12);
    }

    @Test
    void noGradRecordsNothingAndDetachCutsTheGraph() {
        Tensor x = Tensor.variable(Nd4j.createFromArray(1.0, 2.0));
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            Tensor y = x.mul(2.0);
            org.junit.jupiter.api.Assertions.assertFalse(y.requiresGrad());
        }
        org.junit.jupiter.api.Assertions.assertTrue(GradMode.isEnabled());
        Tensor z = x.mul(x.detach()).sum();
        z.backward();
        // d(x * const)/dx = const = x's value
        org.junit.jupiter.api.Assertions.assertArrayEquals(new double[] {1, 2}, x.grad().toDoubleVector(), 0);
    }

    @Test
    void deepChainsDoNotOverflowTheStack() {
        Tensor x = Tensor.variable(Nd4j.createFromArray(1.0));
        Tensor y = x;
        for (int i = 0; i < 20_000; i++) {
            y = y.add(0.0);
        }
        y.sum().backward();
        org.junit.jupiter.api.Assertions.assertEquals(1.0, x.grad().getDouble(0), 0);
    }
}
