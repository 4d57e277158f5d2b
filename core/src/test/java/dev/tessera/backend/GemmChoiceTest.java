package dev.tessera.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.backend.GemmChoice.Kernel;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GemmChoiceTest {

    private static final Optional<CpuFeatures> ZEN5 = Optional.of(CpuFeatures.of(CpuFeatures.AMD, 26, 2,
            "avx2", "fma", "avx512f", "avx512bw"));
    private static final Optional<CpuFeatures> ZEN3 = Optional.of(CpuFeatures.of(CpuFeatures.AMD, 25, 1, "avx2", "fma"));
    private static final Optional<CpuFeatures> SAPPHIRE_RAPIDS = Optional.of(CpuFeatures.of(CpuFeatures.INTEL, 6, 143,
            "avx2", "fma", "avx512f", "avx512bw"));

    private static Kernel auto(Optional<CpuFeatures> cpu, boolean mkl, boolean oneDnn) {
        return GemmChoice.choose(cpu, mkl, oneDnn, null).kernel();
    }

    @Test
    void byCpuWhenNothingIsForced() {
        assertEquals(Kernel.ONEDNN, auto(ZEN5, true, true));
        assertEquals(Kernel.MKL, auto(ZEN5, true, false)); // oneDNN missing
        assertEquals(Kernel.MKL, auto(ZEN3, true, true)); // AVX2-only AMD: unmeasured, MKL as before
        assertEquals(Kernel.MKL, auto(SAPPHIRE_RAPIDS, true, true)); // MKL's own AVX-512 kernels on Intel
        assertEquals(Kernel.MKL, auto(Optional.empty(), true, true));
        assertEquals(Kernel.PORTABLE, auto(ZEN5, false, true)); // oneDNN only beside MKL (batched, float64)
        assertEquals(Kernel.ONEDNN, GemmChoice.choose(ZEN5, true, true, " Auto ").kernel());
        assertTrue(GemmChoice.choose(ZEN5, true, true, null).reason().contains("AVX-512"));
    }

    @Test
    void thePropertyForcesEachLibraryWhereItLoaded() {
        assertEquals(Kernel.MKL, GemmChoice.choose(ZEN5, true, true, "mkl").kernel());
        assertEquals(Kernel.ONEDNN, GemmChoice.choose(SAPPHIRE_RAPIDS, true, true, "onednn").kernel());
        assertEquals(Kernel.ONEDNN, GemmChoice.choose(ZEN3, true, true, "ONEDNN").kernel());
        assertEquals(Kernel.PORTABLE, GemmChoice.choose(ZEN5, true, true, "portable").kernel());
        GemmChoice.Choice missing = GemmChoice.choose(ZEN3, true, false, "onednn");
        assertEquals(Kernel.MKL, missing.kernel());
        assertTrue(missing.reason().contains("unavailable"), missing.reason());
        assertEquals(Kernel.PORTABLE, GemmChoice.choose(ZEN5, false, true, "mkl").kernel());
    }

    @Test
    void anUnknownValueIsRejectedNamingTheProperty() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GemmChoice.choose(ZEN5, true, true, "openblas"));
        assertTrue(e.getMessage().contains(Backend.GEMM_PROPERTY) && e.getMessage().contains("openblas")
                && e.getMessage().contains("onednn"), e.getMessage());
    }
}
