package dev.tessera.bench.training;

import java.util.List;

/**
 * Where one profiler sample of the training thread was spent, decided from its stack: the first
 * frame, leaf first, that belongs to a known layer names the category, so an allocation made by an
 * ND4J op counts as allocation and a GEMM called from a layer counts as GEMM.
 */
enum StepCategory {
    /** Matrix products: oneDNN's or MKL's sgemm (Tessera's direct paths) or ND4J's BLAS-backed matmul. */
    GEMM,
    /** Native buffer allocation: ND4J's data buffers (malloc, zeroing, deallocator registration) or workspace allocation. */
    ALLOCATION,
    /** ND4J's native ops (element-wise, reductions such as the bias-gradient sums, transforms). */
    ND4J_OPS,
    /** Tessera's own Java kernels (normalisation, activations, attention rows, loss, optimizer, copies). */
    JAVA_KERNELS,
    /** Everything else: autograd bookkeeping in the JDK, garbage collection pauses seen by the thread, logging. */
    OTHER;

    /**
     * Classifies a stack.
     *
     * @param frames {@code class.method} names, leaf (innermost) first
     */
    static StepCategory of(List<String> frames) {
        for (String f : frames) {
            StepCategory c = ofFrame(f);
            if (c != null) {
                return c;
            }
        }
        return OTHER;
    }

    /**
     * The Tessera code a sample was spent for: the first {@code dev.tessera} frame, leaf first, that
     * is not plumbing shared by many ops (the {@code host} memory and SIMD layer, the {@code backend}
     * GEMM dispatch, core's kernel runners: element-wise blocks, norm rows, linear epilogues, and the
     * GEMM entry points), e.g.
     * {@code dev.tessera.core.MatMul.linear} for a bias add or {@code dev.tessera.core.Activations.lambda$hostUnary$1}
     * for a GELU backward. {@code "(none)"} when no such frame exists (a sample outside Tessera).
     *
     * @param frames {@code class.method} names, leaf (innermost) first
     */
    static String tesseraCaller(List<String> frames) {
        for (String f : frames) {
            if (f.startsWith("dev.tessera.") && !isPlumbing(f)) {
                return f;
            }
        }
        return "(none)";
    }

    private static boolean isPlumbing(String frame) {
        return frame.startsWith("dev.tessera.host.") || frame.startsWith("dev.tessera.backend.")
                || frame.startsWith("dev.tessera.core.ElementwiseKernel.") || frame.startsWith("dev.tessera.core.NormKernel.")
                || frame.startsWith("dev.tessera.core.LinearEpilogue.") || frame.startsWith("dev.tessera.core.LinearEpilogue$")
                || frame.startsWith("dev.tessera.core.Kernels.");
    }

    /** The category a single frame decides, or null when the frame is neutral (JDK, JavaCPP glue, ...). */
    private static StepCategory ofFrame(String frame) {
        int dot = frame.lastIndexOf('.');
        String type = dot < 0 ? frame : frame.substring(0, dot);
        String method = dot < 0 ? "" : frame.substring(dot + 1);
        if (type.startsWith("org.bytedeco.mkl.") || type.equals("dev.tessera.backend.MklBlas")
                || type.startsWith("org.bytedeco.dnnl.") || type.equals("dev.tessera.backend.OneDnnBlas")
                || type.startsWith("org.bytedeco.openblas.") || type.startsWith("org.nd4j.linalg.cpu.nativecpu.blas.")
                || method.equals("mmul") || method.equals("mmuli")) {
            return GEMM;
        }
        if (method.equals("allocateDataBuffer") || type.equals("org.nd4j.nativeblas.OpaqueDataBuffer")
                || (type.endsWith("DataBuffer") && method.equals("<init>"))
                || type.contains("Workspace")) {
            return ALLOCATION;
        }
        if (type.startsWith("org.nd4j.linalg.cpu.nativecpu.ops.") || type.startsWith("org.nd4j.nativeblas.")) {
            return ND4J_OPS;
        }
        if (type.startsWith("dev.tessera.")) {
            return JAVA_KERNELS;
        }
        return null;
    }
}
