package dev.tessera.training.loop;

import dev.tessera.core.Tensor;
import dev.tessera.training.data.Batch;

/** The model as the loop sees it: a batch's inputs (and attention mask) → logits (B, T, V) aligned with its targets. */
@FunctionalInterface
public interface ForwardFunction {
    Tensor logits(Batch batch);
}
