package dev.tessera.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class NativeSelectionTest {

    private static final String AVX512_JAR = "org/nd4j/linalg/cpu/nativecpu/bindings/linux-x86_64-avx512/libjnind4jcpu.so";
    private static final String AVX2_JAR = "org/nd4j/linalg/cpu/nativecpu/bindings/linux-x86_64-avx2/libjnind4jcpu.so";
    private static final String MKL_REDIST = "org/bytedeco/mkl/linux-x86_64/libmkl_rt.so.2";

    private static final Optional<CpuFeatures> SKYLAKE = Optional.of(CpuFeatures.of(
            "avx", "avx2", "fma", "f16c", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"));
    private static final Optional<CpuFeatures> ZEN3 = Optional.of(CpuFeatures.of("avx", "avx2", "fma", "f16c"));

    private static Predicate<String> jars(String... present) {
        Set<String> set = Set.of(present);
        return set::contains;
    }

    private static NativeSelection.Plan linux(Optional<CpuFeatures> cpu, Predicate<String> jars, Map<String, String> user) {
        return NativeSelection.plan("Linux", "amd64", cpu, jars, user::get);
    }

    @Test
    void avx512CpuWithEverythingGetsAvx512AndMkl() {
        NativeSelection.Plan p = linux(SKYLAKE, jars(AVX512_JAR, AVX2_JAR, MKL_REDIST), Map.of());
        assertEquals("linux-x86_64", p.platform());
        assertEquals(Map.of(NativeSelection.EXTENSION_PROPERTY, "-avx512", NativeSelection.BLAS_LOAD_PROPERTY, "mkl_rt"),
                p.propertiesToSet());
        assertEquals(Backend.BinaryLevel.AVX512, p.expectedLevel());
        assertTrue(p.mklRedistPresent());
    }

    @Test
    void avx2CpuNeverGetsTheAvx512Build() {
        NativeSelection.Plan p = linux(ZEN3, jars(AVX512_JAR, AVX2_JAR, MKL_REDIST), Map.of());
        assertEquals("-avx2", p.propertiesToSet().get(NativeSelection.EXTENSION_PROPERTY));
        assertEquals(Backend.BinaryLevel.AVX2, p.expectedLevel());
    }

    @Test
    void withoutAMatchingJarTheExtensionIsSetEmptyNotLeftUnset() {
        // Unset would let JavaCPP load the first extension it finds: the AVX-512 build (SIGILL here).
        NativeSelection.Plan p = linux(ZEN3, jars(AVX512_JAR), Map.of());
        assertEquals("", p.propertiesToSet().get(NativeSelection.EXTENSION_PROPERTY));
        assertEquals(Backend.BinaryLevel.GENERIC, p.expectedLevel());
        assertTrue(p.notes().stream().anyMatch(n -> n.contains("-avx2 is not on the classpath")), p.notes().toString());
        assertTrue(p.notes().stream().anyMatch(n -> n.contains("MKL redist")), p.notes().toString());
        assertFalse(p.propertiesToSet().containsKey(NativeSelection.BLAS_LOAD_PROPERTY));
    }

    @Test
    void avx512CpuWithOnlyTheAvx2JarFallsBackToAvx2() {
        NativeSelection.Plan p = linux(SKYLAKE, jars(AVX2_JAR), Map.of());
        assertEquals("-avx2", p.propertiesToSet().get(NativeSelection.EXTENSION_PROPERTY));
        assertTrue(p.notes().stream().anyMatch(n -> n.contains("-avx512 is not on the classpath")), p.notes().toString());
    }

    @Test
    void unknownCpuGetsTheGenericBuild() {
        NativeSelection.Plan p = NativeSelection.plan("Windows 11", "amd64", Optional.empty(),
                jars("org/nd4j/linalg/cpu/nativecpu/bindings/windows-x86_64-avx512/jnind4jcpu.dll",
                        "org/bytedeco/mkl/windows-x86_64/mkl_rt.2.dll"), k -> null);
        assertEquals("windows-x86_64", p.platform());
        assertEquals("", p.propertiesToSet().get(NativeSelection.EXTENSION_PROPERTY));
        assertEquals("mkl_rt", p.propertiesToSet().get(NativeSelection.BLAS_LOAD_PROPERTY));
    }

    @Test
    void userPropertiesAreNeverOverridden() {
        NativeSelection.Plan p = linux(SKYLAKE, jars(AVX512_JAR, MKL_REDIST), Map.of(
                NativeSelection.EXTENSION_PROPERTY, "", NativeSelection.BLAS_LOAD_PROPERTY, "openblas"));
        assertTrue(p.propertiesToSet().isEmpty(), p.propertiesToSet().toString());
        assertEquals(Backend.BinaryLevel.GENERIC, p.expectedLevel());
        assertEquals(2, p.notes().size(), p.notes().toString());
    }

    @Test
    void armAndAppleSiliconAreLeftToNd4j() {
        for (String[] osArch : new String[][] {{"Linux", "aarch64"}, {"Mac OS X", "aarch64"}}) {
            NativeSelection.Plan p = NativeSelection.plan(osArch[0], osArch[1], Optional.empty(), s -> true, k -> null);
            assertTrue(p.propertiesToSet().isEmpty(), p.platform() + " " + p.propertiesToSet());
            assertFalse(p.mklRedistPresent());
            assertEquals(Backend.BinaryLevel.GENERIC, p.expectedLevel());
        }
        assertEquals("macosx-arm64", NativeSelection.javacppPlatform("Mac OS X", "aarch64"));
        assertEquals("linux-arm64", NativeSelection.javacppPlatform("Linux", "aarch64"));
    }

    @Test
    void platformNames() {
        assertEquals("linux-x86_64", NativeSelection.javacppPlatform("Linux", "x86_64"));
        assertEquals("macosx-x86_64", NativeSelection.javacppPlatform("Mac OS X", "x86_64"));
        assertEquals("libjnind4jcpu.so", NativeSelection.libraryFile("linux-x86_64", "jnind4jcpu"));
        assertEquals("jnind4jcpu.dll", NativeSelection.libraryFile("windows-x86_64", "jnind4jcpu"));
    }
}
