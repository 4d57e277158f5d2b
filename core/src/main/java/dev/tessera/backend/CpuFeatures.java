package dev.tessera.backend;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The instruction-set flags of the CPU, as Linux reports them in {@code /proc/cpuinfo}.
 *
 * <p>Only what the native-binary choice needs: which libnd4j build (generic, AVX2, AVX-512) the
 * CPU can execute. Reading a text file is the portable way that needs no native code: CPUID is
 * not reachable from Java, and loading a native probe would itself need a binary choice.
 */
final class CpuFeatures {

    /**
     * Flags the {@code -avx512} build of libnd4j needs. It is compiled for Skylake-AVX512
     * ({@code -march=skylake-avx512}), which emits AVX-512 F, CD, BW, DQ and VL instructions;
     * requiring only {@code avx512f} would accept Xeon Phi (Knights Landing), which lacks BW/DQ/VL
     * and would die with SIGILL.
     */
    static final Set<String> AVX512_BUILD = Set.of(
            "avx2", "fma", "f16c", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl");

    /** Flags the {@code -avx2} build of libnd4j needs ({@code -mavx2 -mfma -mf16c}). */
    static final Set<String> AVX2_BUILD = Set.of("avx", "avx2", "fma", "f16c");

    private final Set<String> flags;

    private CpuFeatures(Set<String> flags) {
        this.flags = Collections.unmodifiableSet(flags);
    }

    /**
     * Parses the first {@code flags} line of a {@code /proc/cpuinfo} text.
     *
     * @return the flags, or empty when the text has no {@code flags} line (ARM kernels write
     *     {@code Features} instead, which is not an x86 flag set)
     */
    static Optional<CpuFeatures> parseCpuinfo(String cpuinfo) {
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            if (line.substring(0, colon).trim().equals("flags")) {
                Set<String> set = Arrays.stream(line.substring(colon + 1).trim().split("\\s+"))
                        .filter(s -> !s.isEmpty())
                        .map(s -> s.toLowerCase(Locale.ROOT))
                        .collect(Collectors.toCollection(LinkedHashSet::new));
                return Optional.of(new CpuFeatures(set));
            }
        }
        return Optional.empty();
    }

    /** Reads {@code /proc/cpuinfo}; empty where it does not exist or cannot be read (macOS, Windows). */
    static Optional<CpuFeatures> readLinux(Path cpuinfo) {
        try {
            if (!Files.isReadable(cpuinfo)) {
                return Optional.empty();
            }
            return parseCpuinfo(Files.readString(cpuinfo, StandardCharsets.ISO_8859_1));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Features made of exactly these flags (tests). */
    static CpuFeatures of(String... flags) {
        return new CpuFeatures(new LinkedHashSet<>(Arrays.asList(flags)));
    }

    boolean has(String flag) {
        return flags.contains(flag);
    }

    boolean hasAll(Set<String> required) {
        return flags.containsAll(required);
    }

    /** Can this CPU run the AVX-512 build of libnd4j? */
    boolean canRunAvx512Build() {
        return hasAll(AVX512_BUILD);
    }

    /** Can this CPU run the AVX2 build of libnd4j? */
    boolean canRunAvx2Build() {
        return hasAll(AVX2_BUILD);
    }

    @Override
    public String toString() {
        return flags.stream().filter(f -> f.startsWith("avx") || f.equals("fma") || f.equals("f16c"))
                .collect(Collectors.joining(" ", "[", "]"));
    }
}
