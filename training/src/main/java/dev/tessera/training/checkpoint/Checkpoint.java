package dev.tessera.training.checkpoint;

import java.nio.file.Path;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A loaded and validated checkpoint.
 *
 * @param dir its directory
 * @param model weights by parameter name
 * @param optimizer the optimizer's state dict
 * @param state step, random states, data positions, scalars
 */
public record Checkpoint(Path dir, Map<String, INDArray> model, Map<String, INDArray> optimizer, TrainingState state) {}
