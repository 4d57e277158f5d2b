package dev.tessera.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CpuFeaturesTest {

    private static final String ZEN3 = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\n"
            + "model\t\t: 1\nmodel name\t: AMD EPYC 7B13\n"
            + "flags\t\t: fpu sse sse2 avx f16c fma avx2 bmi1 bmi2\nbogomips\t: 4890.82\n\n"
            + "processor\t: 1\nflags\t\t: fpu sse sse2 avx f16c fma avx2 bmi1 bmi2\n";
    private static final String SKYLAKE_SP = "processor : 0\n"
            + "flags : fpu avx f16c fma avx2 avx512f avx512dq avx512cd avx512bw avx512vl avx512_vnni\n";
    private static final String KNIGHTS_LANDING = "flags : avx f16c fma avx2 avx512f avx512cd avx512er avx512pf\n";
    private static final String ARM = "processor : 0\nFeatures : fp asimd evtstrm aes pmull sha1 sha2 crc32\n";

    @Test
    void avx2OnlyCpuRunsTheAvx2BuildButNotAvx512() {
        CpuFeatures f = CpuFeatures.parseCpuinfo(ZEN3).orElseThrow();
        assertTrue(f.has("avx2"));
        assertTrue(f.canRunAvx2Build());
        assertFalse(f.canRunAvx512Build());
    }

    @Test
    void skylakeServerRunsTheAvx512Build() {
        CpuFeatures f = CpuFeatures.parseCpuinfo(SKYLAKE_SP).orElseThrow();
        assertTrue(f.canRunAvx512Build());
        assertTrue(f.canRunAvx2Build());
    }

    @Test
    void avx512FoundationAloneIsNotEnough() {
        // Xeon Phi has AVX-512F but not BW/DQ/VL, which the skylake-avx512 build emits.
        assertFalse(CpuFeatures.parseCpuinfo(KNIGHTS_LANDING).orElseThrow().canRunAvx512Build());
    }

    @Test
    void armAndGarbageHaveNoX86Flags() {
        assertTrue(CpuFeatures.parseCpuinfo(ARM).isEmpty());
        assertTrue(CpuFeatures.parseCpuinfo("").isEmpty());
        assertTrue(CpuFeatures.readLinux(Path.of("/nonexistent/cpuinfo")).isEmpty());
    }

    @Test
    void describesOnlyTheVectorFlags() {
        assertEquals("AuthenticAMD family 25 model 1 [avx f16c fma avx2]",
                CpuFeatures.parseCpuinfo(ZEN3).orElseThrow().toString());
        assertEquals("[avx f16c fma avx2 avx512f avx512dq avx512cd avx512bw avx512vl avx512_vnni]",
                CpuFeatures.parseCpuinfo(SKYLAKE_SP).orElseThrow().toString());
    }

    @Test
    void readsVendorFamilyAndModelOfTheFirstProcessor() {
        CpuFeatures f = CpuFeatures.parseCpuinfo(ZEN3 + "vendor_id : GenuineIntel\ncpu family : 6\n").orElseThrow();
        assertEquals(CpuFeatures.AMD, f.vendor());
        assertEquals(25, f.family());
        assertEquals(1, f.model()); // not confused by "model name"
        CpuFeatures unknown = CpuFeatures.parseCpuinfo(SKYLAKE_SP).orElseThrow();
        assertEquals("", unknown.vendor());
        assertEquals(-1, unknown.family());
        assertEquals(-1, unknown.model());
    }
}
