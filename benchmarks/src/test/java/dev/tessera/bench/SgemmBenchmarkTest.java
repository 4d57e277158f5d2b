package dev.tessera.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.host.HostMemory;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** {@link SgemmBenchmark}'s Tessera side computes the product and reuses its released output's memory. */
class SgemmBenchmarkTest {

    @Test
    void tesseraSideComputesTheProductIntoReusedPoolMemory() {
        SgemmBenchmark b = new SgemmBenchmark();
        b.n = 48;
        SgemmBenchmark.Nd4jOperands o = new SgemmBenchmark.Nd4jOperands();
        o.setUp(b); // turns the pool on for this thread, as for the benchmark's thread
        INDArray expected = o.a.mmul(o.b); // (n, n), ND4J's own product
        float first = b.tessera_sgemm(o); // the output is released after its first element is read
        assertEquals(expected.getFloat(0), first, 1e-5f);
        long reusedBefore = HostMemory.poolCounts()[0];
        long allocatedBefore = HostMemory.poolCounts()[1];
        for (int i = 0; i < 3; i++) {
            assertEquals(expected.getFloat(0), b.tessera_sgemm(o), 1e-5f, "call " + i);
        }
        assertEquals(allocatedBefore, HostMemory.poolCounts()[1], "later calls take no fresh block");
        assertTrue(HostMemory.poolCounts()[0] >= reusedBefore + 3, "each later call reuses the released block");
    }
}
