package dev.tessera.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.host.HostMemory;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code y.backward(g)} on an op that only reads its incoming gradient ({@code Tensor.fromOpReadingGradient}:
 * the fused activations and the embedding) reads the caller's {@code g} in place instead of
 * copying it. The caller's array must come out untouched and alive (never freed into the pool,
 * never adopted as a leaf's gradient), and the gradients must equal those of the copying path.
 */
class SeedGradientTest {
    private static final long[] SHAPE = {7, 37}; // odd sizes: vector tails

    @BeforeEach
    void poolOn() {
        HostMemory.setPooling(true); // so that a wrongly freed seed would be handed out again below
    }

    @AfterEach
    void poolOff() {
        HostMemory.setPooling(false);
    }

    static Stream<Arguments> ops() {
        Function<Tensor, Tensor> gelu = Tensor::gelu;
        Function<Tensor, Tensor> geluTanh = Tensor::geluTanh;
        Function<Tensor, Tensor> swiglu = x -> x.swiglu(Tensor.constant(x.data().mul(0.5f).addi(0.25f)));
        Function<Tensor, Tensor> embedding = w -> Indexing.embedding(w,
                Nd4j.createFromArray(new int[] {3, 0, 3, 6, 1}).castTo(DataType.INT));
        return Stream.of(Arguments.of("gelu", gelu, SHAPE), Arguments.of("geluTanh", geluTanh, SHAPE),
                Arguments.of("swiglu", swiglu, SHAPE), Arguments.of("embedding", embedding, SHAPE));
    }

    /** A seed from Tessera's pool, as a gradient computed by Tessera's own ops is: freeing it by mistake would recycle it. */
    private static INDArray seedFor(Tensor y) {
        INDArray g = HostMemory.newFloats(y.shape());
        return g.assign(Nd4j.rand(DataType.FLOAT, y.shape()).subi(0.5f).muli(3f));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ops")
    void seedIsReadInPlaceAndLeftIntact(String name, Function<Tensor, Tensor> op, long[] shape) {
        Nd4j.getRandom().setSeed(42);
        INDArray x0 = Nd4j.rand(DataType.FLOAT, shape).subi(0.5f).muli(4f);

        // reference: the copying path, the seed added to an existing zero gradient of y
        Tensor xr = Tensor.variable(x0.dup());
        Tensor yr = op.apply(xr);
        INDArray g = seedFor(yr);
        INDArray gBefore = g.dup();
        yr.accumulateGrad(Nd4j.zeros(DataType.FLOAT, yr.shape())); // y.grad exists: backward adds g into it
        yr.backward(g);
        INDArray expected = xr.grad().dup();

        for (boolean free : new boolean[] {false, true}) {
            Tensor x = Tensor.variable(x0.dup());
            Tensor y = op.apply(x);
            if (free) {
                y.backwardAndFree(g);
            } else {
                y.backward(g);
            }
            assertArrayEquals(expected.data().asFloat(), x.grad().data().asFloat(), 0f, name + " free=" + free);
            assertNotSame(g, x.grad(), "the seed must never become an input's gradient");
            assertFalse(g.wasClosed(), name + ": the caller's seed was freed");
            assertArrayEquals(gBefore.data().asFloat(), g.data().asFloat(), 0f, name + ": the seed was written into");
            // buffers of the seed's size from the pool (y's value went back there) must not be the seed's memory
            INDArray fresh1 = HostMemory.newFloats(g.shape());
            INDArray fresh2 = HostMemory.newFloats(g.shape());
            fresh1.assign(123f);
            fresh2.assign(123f);
            assertArrayEquals(gBefore.data().asFloat(), g.data().asFloat(), 0f, name + ": the seed went back to the pool");
            HostMemory.release(fresh1);
            HostMemory.release(fresh2);
            x.freeGrad();
            assertArrayEquals(gBefore.data().asFloat(), g.data().asFloat(), 0f, name + ": freeGrad released the seed");
        }
    }

    @Test
    void secondBackwardThroughTheSameGraphAccumulates() {
        Tensor x = Tensor.variable(Nd4j.rand(DataType.FLOAT, SHAPE));
        Tensor y = x.gelu();
        INDArray g = Nd4j.rand(DataType.FLOAT, SHAPE);
        y.backward(g);
        INDArray once = x.grad().dup();
        y.backward(g);
        assertArrayEquals(once.mul(2f).data().asFloat(), x.grad().data().asFloat(), 1e-6f);
    }

    @Test
    void wrongSeedShapeIsRejected() {
        Tensor x = Tensor.variable(Nd4j.rand(DataType.FLOAT, SHAPE));
        Tensor y = x.gelu();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> y.backward(Nd4j.rand(DataType.FLOAT, 7, 36)));
        assertTrue(e.getMessage().contains("[7, 36]") && e.getMessage().contains("[7, 37]"), e.getMessage());
        INDArray g64 = Nd4j.rand(DataType.DOUBLE, SHAPE);
        assertThrows(IllegalStateException.class, () -> y.backward(g64));
    }
}
