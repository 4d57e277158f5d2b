package dev.tessera.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.host.HostMemory;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The norms' host path keeps its weights and per-row statistics in the calling thread's reused
 * arrays when no gradient will be taken, and in arrays of their own when one will: the no-gradient
 * result is the recorded one bit for bit, a second no-gradient call with other weights does not see
 * the first's, and a recorded norm's backward still has its own statistics and weights after
 * no-gradient norms of other shapes and values ran in between.
 */
class NormReusedArraysTest {
    private static final double EPS = 1e-5;

    @Test
    void noGradientResultIsTheRecordedOneBitForBit() {
        for (boolean rms : new boolean[] {false, true}) {
            for (int[] nc : new int[][] {{1, 1}, {3, 17}, {5, 33}, {64, 768}}) {
                Tensor x = Tensor.variable(gaussian(nc[0], nc[1], 1));
                Tensor w = Tensor.variable(gaussian(1, nc[1], 2).reshape(nc[1]));
                Tensor b = Tensor.variable(gaussian(1, nc[1], 3).reshape(nc[1]));
                Tensor recorded = norm(rms, x, w, b);
                assertTrue(recorded.requiresGrad(), "recorded with gradients on");
                Tensor plain;
                try (GradMode.Scope ignored = GradMode.noGrad()) {
                    plain = norm(rms, x, w, b);
                }
                assertFalse(plain.requiresGrad(), "nothing recorded under noGrad");
                String what = (rms ? "rms" : "layer") + " " + nc[0] + "x" + nc[1];
                assertArrayEquals(HostMemory.toFloatArray(recorded.data()), HostMemory.toFloatArray(plain.data()), what);
            }
        }
    }

    @Test
    void secondNoGradientCallUsesItsOwnWeights() {
        Tensor x = Tensor.constant(gaussian(4, 40, 4));
        Tensor w1 = Tensor.constant(gaussian(1, 40, 5).reshape(40));
        Tensor b1 = Tensor.constant(gaussian(1, 40, 6).reshape(40));
        Tensor w2 = Tensor.constant(gaussian(1, 40, 7).reshape(40));
        Tensor b2 = Tensor.constant(gaussian(1, 40, 8).reshape(40));
        float[] expected2 = HostMemory.toFloatArray(Normalization.portableLayerNorm(x, w2, b2, EPS, x.shape(), 40).data());
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            Normalization.layerNorm(x, w1, b1, EPS);
            float[] y2 = HostMemory.toFloatArray(Normalization.layerNorm(x, w2, b2, EPS).data());
            for (int i = 0; i < y2.length; i++) {
                assertTrue(Math.abs(y2[i] - expected2[i]) < 1e-5, "element " + i + ": " + y2[i] + " vs " + expected2[i]);
            }
        }
    }

    @Test
    void recordedBackwardKeepsItsStatisticsAcrossNoGradientCalls() {
        for (boolean rms : new boolean[] {false, true}) {
            INDArray xv = gaussian(6, 50, 9);
            INDArray wv = gaussian(1, 50, 10).reshape(50);
            INDArray bv = gaussian(1, 50, 11).reshape(50);
            INDArray g = gaussian(6, 50, 12);
            // reference: record and backpropagate with nothing in between
            Tensor[] ref = leaves(xv, wv, bv);
            norm(rms, ref[0], ref[1], ref[2]).backward(g);
            // the same, with no-gradient norms over more rows and other weights in between
            Tensor[] t = leaves(xv, wv, bv);
            Tensor y = norm(rms, t[0], t[1], t[2]);
            try (GradMode.Scope ignored = GradMode.noGrad()) {
                norm(rms, Tensor.constant(gaussian(40, 50, 13).muli(5).addi(3)), Tensor.constant(gaussian(1, 50, 14).reshape(50)),
                        Tensor.constant(gaussian(1, 50, 15).reshape(50)));
            }
            y.backward(g);
            String what = rms ? "rms" : "layer";
            assertArrayEquals(HostMemory.toFloatArray(ref[0].grad()), HostMemory.toFloatArray(t[0].grad()), what + " dx");
            assertArrayEquals(HostMemory.toFloatArray(ref[1].grad()), HostMemory.toFloatArray(t[1].grad()), what + " dw");
            if (!rms) {
                assertArrayEquals(HostMemory.toFloatArray(ref[2].grad()), HostMemory.toFloatArray(t[2].grad()), what + " db");
            }
        }
    }

    private static Tensor norm(boolean rms, Tensor x, Tensor w, Tensor b) {
        return rms ? Normalization.rmsNorm(x, w, EPS) : Normalization.layerNorm(x, w, b, EPS);
    }

    private static Tensor[] leaves(INDArray x, INDArray w, INDArray b) {
        return new Tensor[] {Tensor.variable(x.dup()), Tensor.variable(w.dup()), Tensor.variable(b.dup())};
    }

    private static INDArray gaussian(int rows, int cols, long seed) {
        Random r = new Random(seed);
        float[] a = new float[rows * cols];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return Nd4j.create(a, new long[] {rows, cols}, 'c');
    }
}
