package dev.tessera.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.blas.Blas;
import org.nd4j.linalg.factory.Nd4j;

class BackendTest {

    @Test
    void initIsIdempotentAndThreadSafe() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit(() -> {
                    Backend.init();
                    return Backend.summary();
                }));
            }
            String first = results.get(0).get();
            for (Future<String> f : results) {
                assertEquals(first, f.get());
            }
        } finally {
            pool.shutdown();
        }
        Backend.init();
        assertTrue(Backend.summary().startsWith("Tessera backend: "), Backend.summary());
    }

    @Test
    void loadedBinaryIsTheOneChosenForThisCpu() {
        String os = System.getProperty("os.name");
        String arch = System.getProperty("os.arch");
        Optional<CpuFeatures> cpu = os.toLowerCase(Locale.ROOT).startsWith("linux")
                ? CpuFeatures.readLinux(Path.of("/proc/cpuinfo")) : Optional.empty();
        ClassLoader cl = Backend.class.getClassLoader();
        NativeSelection.Plan plan = NativeSelection.plan(os, arch, cpu, r -> cl.getResource(r) != null, k -> null);
        // What ND4J itself reports after init must equal what this CPU and classpath call for
        // (this fails if the JVM loaded ND4J before Backend.init() or the jar choice is wrong).
        assertEquals(plan.expectedLevel(), Backend.binaryLevel(), Backend.summary());
        assertTrue(Backend.summary().contains(Backend.binaryLevel().toString()), Backend.summary());
        if (plan.mklRedistPresent()) {
            assertEquals(Blas.Vendor.MKL, Backend.blasVendor(), Backend.summary());
            assertEquals(Blas.Vendor.MKL, Nd4j.factory().blas().getBlasVendor());
        }
        assertTrue(Backend.summary().contains(Backend.blasVendor().toString()), Backend.summary());
    }
}
