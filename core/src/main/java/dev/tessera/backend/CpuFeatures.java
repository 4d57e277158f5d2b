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
 * The instruction-set flags, vendor and family of the CPU, as Linux reports them in
 * {@code /proc/cpuinfo}.
 *
 * <p>Only what the native choices need: which libnd4j build (generic, AVX2, AVX-512) the CPU can
 * execute, and which GEMM library suits it (vendor and AVX-512; see {@link GemmChoice}). Reading a text file is the portable way that needs no native code: CPUID is
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

    /** {@code vendor_id} of an AMD CPU. */
    static final String AMD = "AuthenticAMD";
    /** {@code vendor_id} of an Intel CPU. */
    static final String INTEL = "GenuineIntel";

    private final Set<String> flags;
    private final String vendor; // "" when unknown
    private final int family; // -1 when unknown
    private final int model; // -1 when unknown

    private CpuFeatures(Set<String> flags, String vendor, int family, int model) {
        this.flags = Collections.unmodifiableSet(flags);
        this.vendor = vendor;
        this.family = family;
        this.model = model;
    }

    /**
     * Parses the first {@code flags} line of a {@code /proc/cpuinfo} text.
     *
     * @return the flags, or empty when the text has no {@code flags} line (ARM kernels write
     *     {@code Features} instead, which is not an x86 flag set)
     */
    static Optional<CpuFeatures> parseCpuinfo(String cpuinfo) {
        String vendor = "";
        int family = -1;
        int model = -1;
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            switch (key) {
                case "vendor_id" -> vendor = vendor.isEmpty() ? value : vendor;
                case "cpu family" -> family = family < 0 ? parseOrUnknown(value) : family;
                case "model" -> model = model < 0 ? parseOrUnknown(value) : model;
                case "flags" -> {
                    // the first processor's block is complete here: vendor, family and model come before its flags
                    Set<String> set = Arrays.stream(value.split("\\s+"))
                            .filter(s -> !s.isEmpty())
                            .map(s -> s.toLowerCase(Locale.ROOT))
                            .collect(Collectors.toCollection(LinkedHashSet::new));
                    return Optional.of(new CpuFeatures(set, vendor, family, model));
                }
                default -> { }
            }
        }
        return Optional.empty();
    }

    private static int parseOrUnknown(String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            return -1;
        }
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
        return new CpuFeatures(new LinkedHashSet<>(Arrays.asList(flags)), "", -1, -1);
    }

    /** Features of a given vendor and family with exactly these flags (tests). */
    static CpuFeatures of(String vendor, int family, int model, String... flags) {
        return new CpuFeatures(new LinkedHashSet<>(Arrays.asList(flags)), vendor, family, model);
    }

    /** {@code vendor_id}, e.g. {@link #AMD} or {@link #INTEL}; empty when the text had none. */
    String vendor() {
        return vendor;
    }

    /** {@code cpu family} (e.g. 25 for Zen 3/4, 26 for Zen 5, 6 for Intel cores), or -1. */
    int family() {
        return family;
    }

    /** {@code model}, or -1. */
    int model() {
        return model;
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
        String id = vendor.isEmpty() ? "" : vendor + " family " + family + " model " + model + " ";
        return id + flags.stream().filter(f -> f.startsWith("avx") || f.equals("fma") || f.equals("f16c"))
                .collect(Collectors.joining(" ", "[", "]"));
    }
}
