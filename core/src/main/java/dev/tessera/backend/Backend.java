package dev.tessera.backend;

import dev.tessera.host.Parallel;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.nd4j.linalg.api.blas.Blas;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks the fastest native set-up this machine supports, before ND4J loads, without user flags.
 *
 * <p>On x86-64 Linux: the AVX-512 build of libnd4j where the CPU has AVX-512 F/CD/BW/DQ/VL and
 * {@code nd4j-native:linux-x86_64-avx512} is on the classpath, else the AVX2 build where the CPU has
 * AVX2/FMA/F16C and the {@code -avx2} jar is there, else the generic build; MKL instead of OpenBLAS
 * where {@code org.bytedeco:mkl:*-redist} is on the classpath; and {@link Gemm} calling MKL's
 * {@code cblas_sgemm} directly when MKL loads and passes a self-test, or oneDNN's {@code dnnl_sgemm}
 * for single float32 products where {@link GemmChoice} picks it for the CPU (AMD with AVX-512). Elsewhere (ARM, macOS on Apple
 * silicon, ND4J's CUDA backend) ND4J's own choice and the portable matmul are used. Properties the
 * user set ({@code org.bytedeco.javacpp.platform.extension}, {@code org.bytedeco.openblas.load}) are
 * never overridden. Why this matters (measured on a 2-core AVX-512 machine): sgemm 1024³ runs at 28–49 GFLOP/s with the
 * default binary and OpenBLAS, 92–140 with AVX-512 + MKL through ND4J, 233–306 with MKL called
 * directly.
 *
 * <p>{@link #init()} must run before anything touches ND4J ({@code Nd4j}, {@code INDArray}
 * factories): JavaCPP reads the properties once, when it loads the first library. Tessera's
 * {@code Tensor} calls it from its static initialiser; code that uses ND4J directly before any
 * Tessera class should call it first. If ND4J had already loaded, init logs a warning naming the
 * binary that is actually in use. After init, one INFO line names what was loaded, e.g.
 * {@code Tessera backend: linux-x86_64, ND4J binary AVX512, BLAS MKL, matmul: direct MKL cblas (...)}.
 */
public final class Backend {

    /** Which build of libnd4j is running. */
    public enum BinaryLevel {
        /** Generic x86-64 (SSE) or a non-x86 CPU build. */
        GENERIC,
        /** The {@code -avx2} build. */
        AVX2,
        /** The {@code -avx512} build. */
        AVX512,
        /** Not a CPU backend (ND4J's CUDA backend), or ND4J did not report a level. */
        NOT_CPU
    }

    /**
     * System property choosing the GEMM library ({@link GemmChoice}): {@code portable} disables the
     * direct paths (also at init: MKL is not even loaded), {@code mkl} and {@code onednn} force one,
     * unset or {@code auto} picks by CPU.
     */
    public static final String GEMM_PROPERTY = "tessera.gemm";

    private static final Logger LOG = LoggerFactory.getLogger(Backend.class);
    private static final String CPU_BACKEND = "org.nd4j.linalg.cpu.nativecpu.CpuBackend";

    private record State(BinaryLevel level, Blas.Vendor vendor, boolean directMkl, GemmChoice.Kernel gemm,
            String summary) {}

    private static volatile State state;
    /** Whether 2-D float32 products go to oneDNN now (chosen at init; off while setThreads differs from its pool). */
    private static volatile boolean oneDnnSgemm;

    private Backend() {}

    /**
     * Chooses and loads the native set-up (first call), then returns immediately on later calls.
     * Thread-safe. Loads ND4J (and MKL where present), so the first call takes a few hundred
     * milliseconds, several seconds when JavaCPP first unpacks its libraries into its cache.
     *
     * @throws IllegalStateException when ND4J itself cannot load with the chosen set-up
     */
    public static void init() {
        if (state == null) {
            synchronized (Backend.class) {
                if (state == null) {
                    state = initialise();
                }
            }
        }
    }

    /** The BLAS ND4J loaded ({@code MKL}, {@code OPENBLAS}, {@code CUBLAS}, or {@code UNKNOWN}). Calls {@link #init()}. */
    public static Blas.Vendor blasVendor() {
        init();
        return state.vendor();
    }

    /** The libnd4j build in use. Calls {@link #init()}. */
    public static BinaryLevel binaryLevel() {
        init();
        return state.level();
    }

    /**
     * Whether {@link Gemm} can call MKL's CBLAS directly on ND4J's buffers: CPU backend, MKL loaded,
     * self-test passed, and {@code tessera.gemm=portable} not set at init. Calls {@link #init()}.
     */
    public static boolean hasDirectMkl() {
        init();
        return state.directMkl();
    }

    /**
     * Whether {@link Gemm}'s 2-D float32 products call oneDNN's {@code dnnl_sgemm} (chosen at init
     * for this CPU, see {@link GemmChoice}); false while {@link #setThreads} asks for another thread
     * count than oneDNN's pool has. Calls {@link #init()}.
     */
    static boolean usesOneDnnSgemm() {
        init();
        return oneDnnSgemm;
    }

    /**
     * Routes 2-D float32 products to oneDNN (true) or MKL (false) whatever was chosen at init; for
     * tests that compare both. Call {@code OneDnnBlas.selfTest()} successfully before passing true.
     */
    static void setOneDnnSgemm(boolean on) {
        init();
        oneDnnSgemm = on && state.directMkl();
    }

    /** The library chosen at init for the float32 products. Calls {@link #init()}. */
    static GemmChoice.Kernel gemmKernel() {
        init();
        return state.gemm();
    }

    /** The start-up line, e.g. for a benchmark report's header. Calls {@link #init()}. */
    public static String summary() {
        init();
        return state.summary();
    }

    /**
     * Sets how many threads Tessera's compute uses: the host kernels' pool
     * ({@code dev.tessera.host.Parallel}), MKL's GEMMs when called directly, and ND4J's own ops. The
     * default is the number of available processors. Small tensors stay on one thread regardless.
     * Where oneDNN runs the float32 products ({@link GemmChoice}), its pool always has one thread per
     * available processor (its bindings cannot resize it), so any other {@code n} moves those
     * products to MKL until {@code n} is the processor count again.
     * Calls {@link #init()}.
     *
     * @throws IllegalArgumentException if {@code n < 1}
     */
    public static void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + n);
        }
        init();
        Parallel.setThreads(n);
        if (state.directMkl()) {
            MklBlas.setThreads(n);
        }
        if (state.gemm() == GemmChoice.Kernel.ONEDNN) {
            // oneDNN's OpenMP pool has one thread per available processor and its bindings cannot
            // resize it: for any other count the float32 products go to MKL, which honours n.
            boolean full = n == Runtime.getRuntime().availableProcessors();
            if (full != oneDnnSgemm) {
                LOG.info("Tessera 2-D float32 matmul now on {} ({} threads asked, oneDNN's pool has {})",
                        full ? "oneDNN" : "MKL", n, Runtime.getRuntime().availableProcessors());
            }
            oneDnnSgemm = full;
        }
        if (state.level() != BinaryLevel.NOT_CPU) {
            Nd4j.getEnvironment().setMaxThreads(n);
            Nd4j.getEnvironment().setMaxMasterThreads(n);
        }
        LOG.info("Tessera threads: {}", n);
    }

    /** The host kernels' thread count (see {@link #setThreads}). */
    public static int threads() {
        return Parallel.threads();
    }

    private static State initialise() {
        String osName = System.getProperty("os.name", "");
        String osArch = System.getProperty("os.arch", "");
        Optional<CpuFeatures> cpu = osName.toLowerCase(Locale.ROOT).startsWith("linux")
                ? CpuFeatures.readLinux(Path.of("/proc/cpuinfo")) : Optional.empty();
        ClassLoader cl = Backend.class.getClassLoader();
        NativeSelection.Plan plan = NativeSelection.plan(osName, osArch, cpu,
                resource -> cl.getResource(resource) != null, System::getProperty);
        for (Map.Entry<String, String> e : plan.propertiesToSet().entrySet()) {
            if (System.getProperty(e.getKey()) == null) {
                System.setProperty(e.getKey(), e.getValue());
            }
        }

        boolean cpuBackend;
        try {
            cpuBackend = CPU_BACKEND.equals(Nd4j.getBackend().getClass().getName());
        } catch (Throwable t) {
            throw new IllegalStateException("ND4J failed to load with the native set-up " + plan.propertiesToSet()
                    + " chosen for " + plan.platform() + " (CPU " + cpu.map(Object::toString).orElse("unknown")
                    + "); set " + NativeSelection.EXTENSION_PROPERTY + " and " + NativeSelection.BLAS_LOAD_PROPERTY
                    + " explicitly to override", t);
        }

        Blas.Vendor vendor;
        try {
            vendor = Nd4j.factory().blas().getBlasVendor();
        } catch (RuntimeException | LinkageError e) {
            vendor = Blas.Vendor.UNKNOWN;
        }
        BinaryLevel level = cpuBackend ? loadedCpuLevel() : BinaryLevel.NOT_CPU;
        if (cpuBackend && level != plan.expectedLevel()) {
            LOG.warn("ND4J runs the {} binary, not the {} one chosen for this CPU: ND4J was probably loaded"
                    + " before Backend.init() (call it first), or the chosen jar failed to load", level,
                    plan.expectedLevel());
        }

        boolean direct = false;
        GemmChoice.Kernel kernel = GemmChoice.Kernel.PORTABLE;
        String gemm;
        boolean x86 = plan.platform().endsWith("-x86_64");
        String gemmProperty = System.getProperty(GEMM_PROPERTY);
        if (!cpuBackend) {
            gemm = "ND4J mmul (not the CPU backend)";
        } else if ("portable".equalsIgnoreCase(gemmProperty == null ? null : gemmProperty.trim())) {
            gemm = "ND4J mmul (" + GEMM_PROPERTY + "=portable)";
        } else if (!x86) {
            gemm = "ND4J mmul (no MKL on " + plan.platform() + ")";
        } else {
            GemmChoice.choose(cpu, true, true, gemmProperty); // rejects an unknown value before anything loads
            boolean mklOk = false;
            String mkl;
            try {
                MklBlas.selfTest();
                mklOk = true;
                mkl = MklBlas.version() + ", " + MklBlas.maxThreads() + " threads";
            } catch (Throwable t) {
                // UnsatisfiedLinkError / NoClassDefFoundError when the MKL jars are absent, or a
                // wrong self-test product: never fatal, the portable path computes the same thing.
                mkl = "direct MKL unavailable: " + t.getClass().getSimpleName() + ": " + t.getMessage();
                LOG.info("Direct MKL gemm disabled, using ND4J mmul: {}", t.toString());
            }
            // oneDNN is loaded only where the rule could pick it (a 60 MB library otherwise unused).
            boolean oneDnnOk = false;
            String oneDnn = "";
            boolean wanted = GemmChoice.choose(cpu, mklOk, true, gemmProperty).kernel() == GemmChoice.Kernel.ONEDNN;
            if (wanted) {
                try {
                    OneDnnBlas.selfTest();
                    oneDnnOk = true;
                    oneDnn = OneDnnBlas.version();
                } catch (Throwable t) {
                    LOG.info("oneDNN sgemm unavailable, using MKL: {}", t.toString());
                }
            }
            GemmChoice.Choice choice = GemmChoice.choose(cpu, mklOk, oneDnnOk, gemmProperty);
            kernel = choice.kernel();
            direct = kernel != GemmChoice.Kernel.PORTABLE;
            gemm = switch (kernel) {
                case ONEDNN -> "direct " + oneDnn + " sgemm for 2-D float32, MKL cblas for batched/float64 (" + mkl
                        + "; " + choice.reason() + ")";
                case MKL -> "direct MKL cblas (" + mkl + "; " + choice.reason() + ")";
                case PORTABLE -> "ND4J mmul (" + mkl + ")";
            };
        }
        String summary = "Tessera backend: " + plan.platform() + ", ND4J binary " + level + ", BLAS " + vendor
                + ", matmul: " + gemm + (plan.notes().isEmpty() ? "" : "; " + String.join("; ", plan.notes()));
        LOG.info(summary);
        oneDnnSgemm = kernel == GemmChoice.Kernel.ONEDNN;
        return new State(level, vendor, direct, kernel, summary);
    }

    private static BinaryLevel loadedCpuLevel() {
        try {
            // libnd4j's own report (NativeOps.binaryLevel): 3 = AVX-512, 2 = AVX/AVX2, else generic,
            // the same codes CpuNDArrayFactory turns into its "Binary level" log line.
            int code = NativeOpsHolder.getInstance().getDeviceNativeOps().binaryLevel();
            return switch (code) {
                case 3 -> BinaryLevel.AVX512;
                case 2 -> BinaryLevel.AVX2;
                default -> BinaryLevel.GENERIC;
            };
        } catch (RuntimeException | LinkageError e) {
            return BinaryLevel.NOT_CPU;
        }
    }
}
