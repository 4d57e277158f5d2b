/**
 * Training: language-model losses ({@code .loss}: fused cross-entropy with shift, ignore index,
 * label smoothing, z-loss and explicit normalisation for gradient accumulation; BERT masking),
 * optimizers and schedules ({@code .optim}: AdamW, SGD, global-norm clipping, warmup + cosine /
 * linear / warmup-stable-decay), data ({@code .data}: memory-mapped token files, seeded
 * resumable window sampling, document packing, prompt/response loss masks, padding collation),
 * atomic checkpoints ({@code .checkpoint}), the training loop ({@code .loop}), generation
 * ({@code .generate}), data-parallel training on Spark ({@code .distributed}) and the
 * {@code pretrain} command ({@code .cli}).
 *
 * <p>Everything logs through slf4j and never prints, except {@code .cli}.
 */
package dev.tessera.training;
