/**
 * Pure functions over tensors and masks that RLHF is built from: masked statistics and whitening ({@link dev.tessera.rlhf.math.Masked}), per-token log-probabilities, entropy, stable log-sigmoid and per-token KL estimators. Each is unit-tested against PyTorch and gradient-checked.
 */
package dev.tessera.rlhf.math;
