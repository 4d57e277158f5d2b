package dev.tessera.bench.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The training-step breakdown's stack classification and its table. */
class StepCategoryTest {

    @Test
    void innermostKnownFrameDecides() {
        assertEquals(StepCategory.GEMM, StepCategory.of(List.of(
                "org.bytedeco.mkl.global.mkl_rt.cblas_sgemm", "dev.tessera.backend.MklBlas.sgemm",
                "dev.tessera.backend.DirectGemm.gemm", "dev.tessera.core.MatMul.linear")));
        // An allocation made while preparing a GEMM's output is allocation, not GEMM.
        assertEquals(StepCategory.ALLOCATION, StepCategory.of(List.of(
                "org.nd4j.nativeblas.OpaqueDataBuffer.allocateDataBuffer",
                "org.nd4j.linalg.cpu.nativecpu.buffer.BaseCpuDataBuffer.<init>",
                "org.nd4j.linalg.factory.Nd4j.createUninitialized", "dev.tessera.backend.Gemm.matmul")));
        assertEquals(StepCategory.ALLOCATION, StepCategory.of(List.of(
                "org.nd4j.linalg.cpu.nativecpu.workspace.CpuWorkspace.alloc", "org.nd4j.linalg.factory.Nd4j.create")));
        assertEquals(StepCategory.ND4J_OPS, StepCategory.of(List.of(
                "org.nd4j.nativeblas.Nd4jCpu.execReduceFloat", "org.nd4j.linalg.cpu.nativecpu.ops.NativeOpExecutioner.exec",
                "org.nd4j.linalg.api.ndarray.BaseNDArray.sum", "dev.tessera.core.Normalization.layerNorm")));
        // JDK frames are neutral: Math.tanh inside a Tessera kernel counts as the kernel.
        assertEquals(StepCategory.JAVA_KERNELS, StepCategory.of(List.of(
                "java.lang.StrictMath.tanh", "java.lang.Math.tanh", "dev.tessera.core.Activations.geluTanh")));
        // oneDNN's sgemm (the 2-D products' direct path) is GEMM, not a Java kernel.
        assertEquals(StepCategory.GEMM, StepCategory.of(List.of(
                "org.bytedeco.dnnl.global.dnnl.dnnl_sgemm", "dev.tessera.backend.OneDnnBlas.sgemm",
                "dev.tessera.backend.Gemm.matmul", "dev.tessera.core.MatMul.linear")));
        assertEquals(StepCategory.GEMM, StepCategory.of(List.of(
                "dev.tessera.backend.OneDnnBlas.sgemm", "dev.tessera.core.MatMul.linear")));
        assertEquals(StepCategory.OTHER, StepCategory.of(List.of("java.util.HashMap.put", "java.lang.Thread.run")));
        assertEquals(StepCategory.OTHER, StepCategory.of(List.of()));
    }

    @Test
    void tesseraCallerSkipsThePlumbing() {
        // An allocation for a bias add: the op is MatMul.linear, not the GEMM dispatch below it.
        assertEquals("dev.tessera.core.MatMul.linear", StepCategory.tesseraCaller(List.of(
                "org.nd4j.nativeblas.OpaqueDataBuffer.allocateDataBuffer", "org.nd4j.linalg.factory.Nd4j.createUninitialized",
                "dev.tessera.backend.Gemm.matmul", "dev.tessera.core.Kernels.gemm", "dev.tessera.core.MatMul.linear",
                "dev.tessera.nn.Linear.forward")));
        // A SIMD loop run by the block runner is charged to the activation that asked for it.
        assertEquals("dev.tessera.core.Activations.lambda$hostUnary$1", StepCategory.tesseraCaller(List.of(
                "dev.tessera.host.VectorOps.geluTanhBackward", "dev.tessera.core.ElementwiseKernel.lambda$map$2",
                "dev.tessera.host.Parallel.forRows", "dev.tessera.core.ElementwiseKernel.map",
                "dev.tessera.core.Activations.lambda$hostUnary$1", "dev.tessera.core.Tensor.backward")));
        // The fused linear epilogue's GELU is charged to the linear op that runs it.
        assertEquals("dev.tessera.core.MatMul.linearGelu", StepCategory.tesseraCaller(List.of(
                "dev.tessera.host.VectorOps.geluTanh", "dev.tessera.core.LinearEpilogue$Gelu.forward",
                "dev.tessera.core.LinearEpilogue.lambda$biasGelu$1", "dev.tessera.host.Parallel.forRows",
                "dev.tessera.core.LinearEpilogue.biasGelu", "dev.tessera.core.MatMul.linearGelu")));
        assertEquals("dev.tessera.core.Normalization.layerNorm", StepCategory.tesseraCaller(List.of(
                "dev.tessera.host.VectorOps.normalize", "dev.tessera.core.NormKernel.lambda$forward$0",
                "dev.tessera.core.Normalization.layerNorm")));
        assertEquals("(none)", StepCategory.tesseraCaller(List.of("java.util.HashMap.put", "dev.tessera.host.HostMemory.newFloats")));
        assertEquals("(none)", StepCategory.tesseraCaller(List.of()));
    }

    @Test
    void topListsTheMostFrequentFirstPerCategory() {
        Map<StepCategory, Map<String, Integer>> callers = new EnumMap<>(StepCategory.class);
        callers.put(StepCategory.ALLOCATION, Map.of("dev.tessera.core.MatMul.linear", 7, "dev.tessera.core.Softmax.softmax", 3,
                "dev.tessera.core.Tensor.accumulateGrad", 1));
        callers.put(StepCategory.GEMM, Map.of("dev.tessera.core.MatMul.linear", 20));
        String listing = TrainStepBreakdown.top("callers", callers, 2);
        assertEquals("callers:\n"
                + String.format("  %-13s %6d  %s%n", "gemm", 20, "dev.tessera.core.MatMul.linear")
                + String.format("  %-13s %6d  %s%n", "allocation", 7, "dev.tessera.core.MatMul.linear")
                + String.format("  %-13s %6d  %s%n", "allocation", 3, "dev.tessera.core.Softmax.softmax"), listing);
    }

    @Test
    void tableSharesAddUpToTheStep() {
        Map<StepCategory, Integer> counts = new EnumMap<>(StepCategory.class);
        counts.put(StepCategory.GEMM, 60);
        counts.put(StepCategory.ALLOCATION, 20);
        counts.put(StepCategory.ND4J_OPS, 10);
        counts.put(StepCategory.JAVA_KERNELS, 10);
        counts.put(StepCategory.OTHER, 0);
        String table = TrainStepBreakdown.format(counts, 200.0);
        assertTrue(table.contains("gemm") && table.contains("60.0%") && table.contains("120.0"), table);
        assertTrue(table.contains("allocation") && table.contains("20.0%") && table.contains("40.0"), table);
    }
}
