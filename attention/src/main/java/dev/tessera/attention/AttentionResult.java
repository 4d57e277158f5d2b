package dev.tessera.attention;

import dev.tessera.core.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An attention output and, when asked for, the attention probabilities.
 *
 * @param output (B, H, Tq, Dv)
 * @param probabilities (B, H, Tq, Tk) softmax probabilities before dropout (masked entries 0), or
 *     null when not requested; read-only (the backward pass reads the same array)
 */
public record AttentionResult(Tensor output, INDArray probabilities) {}
