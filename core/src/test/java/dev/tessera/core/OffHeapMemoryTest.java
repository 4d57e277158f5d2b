package dev.tessera.core;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.nn.Linear;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Off-heap memory stays flat over 1,000 forward/backward steps of a small MLP (GUIDE §4): the
 * graph and its saved activations are released with the step, so JavaCPP's tracked bytes at
 * the end are within a small margin of those after warm-up.
 */
class OffHeapMemoryTest {
    private static final Logger LOG = LoggerFactory.getLogger(OffHeapMemoryTest.class);

    @Test
    void offHeapBytesStayFlatOver1000Steps() {
        Rng rng = new Rng(1);
        Linear l1 = new Linear(64, 128, true, rng, DataType.FLOAT);
        Linear l2 = new Linear(128, 10, true, rng, DataType.FLOAT);
        Tensor x = Tensor.constant(rng.normal(DataType.FLOAT, 0, 1, 32, 64));
        List<Long> samples = new ArrayList<>();
        for (int step = 0; step < 1000; step++) {
            Tensor loss = l2.forward(l1.forward(x).gelu()).logSoftmax(-1).mean().neg();
            loss.backward();
            for (Tensor p : List.of(l1.weight(), l1.bias(), l2.weight(), l2.bias())) {
                p.data().subi(p.grad().mul(1e-3));
                p.zeroGrad();
            }
            if (step % 100 == 99) {
                System.gc();
                samples.add(Pointer.totalBytes());
            }
        }
        long afterWarmup = samples.get(1);
        long last = samples.get(samples.size() - 1);
        LOG.info("off-heap bytes per 100 steps: {}", samples);
        // flat: the last sample is within 2 MiB of the sample after 200 steps (one step allocates ~0.2 MiB)
        assertTrue(last - afterWarmup < 2L << 20, "off-heap grew from " + afterWarmup + " to " + last + ": " + samples);
    }
}
