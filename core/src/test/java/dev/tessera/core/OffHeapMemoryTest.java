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
 * Off-heap memory stays flat over 1,000 forward/backward steps of a small MLP: the
 * graph and its saved activations are released with the step, so the process's resident size
 * after GC at the end is within a small margin of that after warm-up.
 */
class OffHeapMemoryTest {
    private static final Logger LOG = LoggerFactory.getLogger(OffHeapMemoryTest.class);

    private static long median(List<Long> xs) {
        List<Long> sorted = new ArrayList<>(xs);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }

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
                samples.add(Pointer.physicalBytes());
            }
        }
        LOG.info("resident bytes every 100 steps: {}", samples);
        long early = median(samples.subList(1, 4)); // steps 200-400, after warm-up
        long late = median(samples.subList(samples.size() - 3, samples.size())); // steps 800-1000
        // Flat: resident size (after GC) late in the run within 48 MiB of the early level. One step
        // allocates ~0.3 MiB of native buffers, so leaking a fifth of them would add ~48 MiB over
        // 800 steps; RSS itself wanders by ~±20 MiB (malloc arenas, JIT code). RSS, not
        // Pointer.totalBytes(): ND4J's buffers are not counted in JavaCPP's totalBytes.
        assertTrue(late - early < 48L << 20, "resident memory grew from " + early + " to " + late + ": " + samples);
    }
}
