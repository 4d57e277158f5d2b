package dev.tessera.backend;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * Decides, before ND4J loads, which native binaries JavaCPP should load: a pure function of the
 * platform, the CPU flags, which jars are on the classpath and what the user already set.
 *
 * <p>The mechanism, checked in the JavaCPP 1.5.7 and nd4j-native-preset 1.0.0-M2.1 binaries:
 * {@code Loader.loadProperties} copies every system property {@code org.bytedeco.javacpp.platform.X}
 * to the platform property {@code platform.X}; {@code Loader.findLibrary} tries each entry of
 * {@code platform.extension} as a suffix of the platform directory
 * ({@code org/nd4j/linalg/cpu/nativecpu/bindings/linux-x86_64-avx512/}) and falls back to the plain
 * directory when that jar is absent. When the property is <em>unset</em>, JavaCPP tries the
 * extensions the preset lists ({@code -avx2}, {@code -avx512}, ...) and loads the first binary it
 * finds: measured on an AVX2-only AMD EPYC with the {@code -avx512} jar on the classpath, that
 * loads the AVX-512 build and the JVM dies with SIGILL in {@code libnd4jcpu.so}. So on x86-64 we
 * always set the extension explicitly, to the empty string when neither fast build fits.
 *
 * <p>MKL: the OpenBLAS preset (which ND4J's CPU backend links against) honours
 * {@code org.bytedeco.openblas.load}; {@code mkl_rt} makes it load MKL's single dynamic library
 * from {@code org.bytedeco:mkl:*-redist} instead of OpenBLAS. Only set when the redist library is
 * on the classpath, because a missing {@code mkl_rt} would fail ND4J's start-up.
 */
final class NativeSelection {

    static final String EXTENSION_PROPERTY = "org.bytedeco.javacpp.platform.extension";
    static final String BLAS_LOAD_PROPERTY = "org.bytedeco.openblas.load";

    /** What to do, and why. */
    record Plan(
            String platform,
            Map<String, String> propertiesToSet,
            Backend.BinaryLevel expectedLevel,
            boolean mklRedistPresent,
            List<String> notes) {

        Plan {
            propertiesToSet = Collections.unmodifiableMap(new LinkedHashMap<>(propertiesToSet));
            notes = List.copyOf(notes);
        }
    }

    private NativeSelection() {}

    /**
     * JavaCPP's platform name ({@code linux-x86_64}, {@code macosx-arm64}, ...) from the JVM's
     * {@code os.name} and {@code os.arch}; computed here rather than with {@code Loader.getPlatform()}
     * so that nothing of JavaCPP initialises before the properties are set.
     */
    static String javacppPlatform(String osName, String osArch) {
        String os = osName.toLowerCase(Locale.ROOT);
        String arch = osArch.toLowerCase(Locale.ROOT);
        String o;
        if (os.startsWith("linux")) {
            o = "linux";
        } else if (os.startsWith("mac") || os.startsWith("darwin")) {
            o = "macosx";
        } else if (os.startsWith("windows")) {
            o = "windows";
        } else {
            o = os.replaceAll("[^a-z0-9]", "");
        }
        String a = switch (arch) {
            case "amd64", "x86_64", "x86-64", "em64t" -> "x86_64";
            case "aarch64", "arm64" -> "arm64";
            case "x86", "i386", "i486", "i586", "i686" -> "x86";
            default -> arch;
        };
        return o + "-" + a;
    }

    /** File name of a shared library on that platform, as JavaCPP bundles it. */
    static String libraryFile(String platform, String name) {
        if (platform.startsWith("windows")) {
            return name + ".dll";
        }
        if (platform.startsWith("macosx")) {
            return "lib" + name + ".dylib";
        }
        return "lib" + name + ".so";
    }

    /** Names the MKL redist jar gives {@code mkl_rt} on that platform (versioned, as bundled). */
    static List<String> mklRuntimeFiles(String platform) {
        if (platform.startsWith("windows")) {
            return List.of("mkl_rt.2.dll", "mkl_rt.dll");
        }
        if (platform.startsWith("macosx")) {
            return List.of("libmkl_rt.2.dylib", "libmkl_rt.dylib");
        }
        return List.of("libmkl_rt.so.2", "libmkl_rt.so");
    }

    /**
     * @param cpu the CPU flags, empty where unknown (then no AVX build is chosen: a generic binary
     *     is slow but never crashes)
     * @param resourceExists whether a class-path resource exists
     * @param userProperty the system property the user set, or null
     */
    static Plan plan(String osName, String osArch, Optional<CpuFeatures> cpu,
            Predicate<String> resourceExists, UnaryOperator<String> userProperty) {
        String platform = javacppPlatform(osName, osArch);
        Map<String, String> set = new LinkedHashMap<>();
        List<String> notes = new ArrayList<>();
        boolean x86 = platform.endsWith("-x86_64");

        Backend.BinaryLevel expected = Backend.BinaryLevel.GENERIC;
        String userExt = userProperty.apply(EXTENSION_PROPERTY);
        if (!x86) {
            notes.add("no AVX builds on " + platform);
        } else if (userExt != null) {
            notes.add(EXTENSION_PROPERTY + "=" + userExt + " set by the user; kept");
            expected = userExt.contains("avx512") ? Backend.BinaryLevel.AVX512
                    : userExt.contains("avx2") ? Backend.BinaryLevel.AVX2 : Backend.BinaryLevel.GENERIC;
        } else {
            String nd4jLib = libraryFile(platform, "jnind4jcpu");
            boolean avx512Jar = resourceExists.test(
                    "org/nd4j/linalg/cpu/nativecpu/bindings/" + platform + "-avx512/" + nd4jLib);
            boolean avx2Jar = resourceExists.test(
                    "org/nd4j/linalg/cpu/nativecpu/bindings/" + platform + "-avx2/" + nd4jLib);
            boolean avx512Cpu = cpu.map(CpuFeatures::canRunAvx512Build).orElse(false);
            boolean avx2Cpu = cpu.map(CpuFeatures::canRunAvx2Build).orElse(false);
            if (avx512Cpu && avx512Jar) {
                set.put(EXTENSION_PROPERTY, "-avx512");
                expected = Backend.BinaryLevel.AVX512;
            } else if (avx2Cpu && avx2Jar) {
                set.put(EXTENSION_PROPERTY, "-avx2");
                expected = Backend.BinaryLevel.AVX2;
            } else {
                // Explicitly generic: leaving it unset lets JavaCPP pick the AVX-512 jar (see above).
                set.put(EXTENSION_PROPERTY, "");
            }
            if (cpu.isEmpty()) {
                notes.add("CPU flags unknown (no /proc/cpuinfo): generic binary");
            } else if (avx512Cpu && !avx512Jar) {
                notes.add("CPU has AVX-512 but nd4j-native:" + platform + "-avx512 is not on the classpath");
            } else if (!avx512Cpu && avx2Cpu && !avx2Jar) {
                notes.add("CPU has AVX2 but nd4j-native:" + platform + "-avx2 is not on the classpath");
            }
        }

        boolean mklRedist = x86 && mklRuntimeFiles(platform).stream()
                .anyMatch(f -> resourceExists.test("org/bytedeco/mkl/" + platform + "/" + f));
        String userBlas = userProperty.apply(BLAS_LOAD_PROPERTY);
        if (userBlas != null) {
            notes.add(BLAS_LOAD_PROPERTY + "=" + userBlas + " set by the user; kept");
        } else if (mklRedist) {
            set.put(BLAS_LOAD_PROPERTY, "mkl_rt");
        } else if (x86) {
            notes.add("MKL redist (org.bytedeco:mkl:*:" + platform + "-redist) not on the classpath: OpenBLAS");
        }
        return new Plan(platform, set, expected, mklRedist, notes);
    }
}
