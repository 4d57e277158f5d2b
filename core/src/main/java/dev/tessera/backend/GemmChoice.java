package dev.tessera.backend;

import java.util.Locale;
import java.util.Optional;

/**
 * Which library runs {@link Gemm}'s float32 matrix products on this machine: a pure function of
 * the CPU, which libraries loaded and passed their self-tests, and the {@code tessera.gemm}
 * property, so that the choice is tested without the libraries.
 *
 * <p>The rule, and why: MKL runs its AVX-512 kernels only on Intel CPUs; on AMD it reported no
 * Intel code branch ({@code MKL_CBWR_Get_Auto_Branch} = AUTO) and its sgemm ran at about half of
 * oneDNN's {@code dnnl_sgemm}, which picks its kernels from the CPU's instruction flags whatever
 * the vendor (measured in one JVM, calls interleaved, on a 2-core AMD Zen 5 with AVX-512 under a
 * load average of about 30: 13 against 27 GFLOP/s at n = 512 and 1024, 64 against 119 at n = 256;
 * MKL with one thread ran as fast as with two, so the gap is the kernels, not the threading).
 * Hence oneDNN on AMD CPUs with AVX-512 where it is present, MKL everywhere else (on Intel it runs
 * its own AVX-512 kernels; on AVX2-only AMD CPUs neither library was measured against the other,
 * and MKL stays as before). Re-checked on the same machine for the GPT training step's products
 * (activations (2048, 256) times weights (256, 256), (256, 768), (256, 1024) and (256, 8192);
 * (2048, 768) times (768, 256) and (2048, 1024) times (1024, 256); each also in its two backward
 * forms {@code dY W^T} and {@code X^T dY}) and for squares n = 256, 512, 1024, 2048: the two
 * libraries called alternately in one JVM under a load average of 13 to 15, oneDNN's best time was
 * 1.2 to 4.6 times shorter than MKL's in every one of the 22 cases. oneDNN has only a
 * single-matrix float32 sgemm: batched products (the attention heads, one
 * {@code cblas_sgemm_batch_strided} call), float64 and the row sums always run on MKL.
 *
 * <p>{@code -Dtessera.gemm=}: {@code portable} (ND4J's matmul, MKL not called), {@code mkl}
 * (MKL for everything), {@code onednn} (oneDNN for the float32 products wherever it loads);
 * unset or {@code auto}: the rule above.
 */
final class GemmChoice {

    /** The library for 2-D float32 products. */
    enum Kernel {
        /** ND4J's own matmul ({@code mmul}). */
        PORTABLE,
        /** MKL's CBLAS called directly. */
        MKL,
        /** oneDNN's {@code dnnl_sgemm} called directly (MKL for batched and float64 products). */
        ONEDNN
    }

    /** The choice and the reason, for the start-up log line. */
    record Choice(Kernel kernel, String reason) {}

    private GemmChoice() {}

    /**
     * @param cpu the CPU, empty when unknown
     * @param mklOk MKL loaded and passed its self-test
     * @param oneDnnOk oneDNN loaded and passed its self-test
     * @param property the value of {@code tessera.gemm}, or null
     * @throws IllegalArgumentException for an unknown property value
     */
    static Choice choose(Optional<CpuFeatures> cpu, boolean mklOk, boolean oneDnnOk, String property) {
        String p = property == null ? "auto" : property.trim().toLowerCase(Locale.ROOT);
        switch (p) {
            case "portable":
                return new Choice(Kernel.PORTABLE, Backend.GEMM_PROPERTY + "=portable");
            case "mkl":
                return mklOk ? new Choice(Kernel.MKL, Backend.GEMM_PROPERTY + "=mkl")
                        : new Choice(Kernel.PORTABLE, Backend.GEMM_PROPERTY + "=mkl but MKL is unavailable");
            case "onednn":
                if (oneDnnOk && mklOk) {
                    return new Choice(Kernel.ONEDNN, Backend.GEMM_PROPERTY + "=onednn");
                }
                return mklOk ? new Choice(Kernel.MKL, Backend.GEMM_PROPERTY + "=onednn but oneDNN is unavailable")
                        : new Choice(Kernel.PORTABLE, Backend.GEMM_PROPERTY + "=onednn but oneDNN/MKL are unavailable");
            case "auto":
                break;
            default:
                throw new IllegalArgumentException("-D" + Backend.GEMM_PROPERTY
                        + " must be one of auto, mkl, onednn, portable, got '" + property + "'");
        }
        if (!mklOk) {
            return new Choice(Kernel.PORTABLE, "MKL unavailable");
        }
        boolean amdAvx512 = cpu.map(c -> CpuFeatures.AMD.equals(c.vendor()) && c.has("avx512f")).orElse(false);
        if (amdAvx512 && oneDnnOk) {
            return new Choice(Kernel.ONEDNN, "AMD CPU with AVX-512: oneDNN's AVX-512 sgemm, MKL runs no AVX-512 code on AMD");
        }
        if (amdAvx512) {
            return new Choice(Kernel.MKL, "AMD CPU with AVX-512 but oneDNN unavailable");
        }
        return new Choice(Kernel.MKL, cpu.map(c -> c.vendor().isEmpty() ? "unknown CPU vendor" : c.vendor())
                .orElse("unknown CPU"));
    }
}
