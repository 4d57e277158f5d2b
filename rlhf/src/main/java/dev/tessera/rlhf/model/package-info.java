/**
 * The models RLHF adds around a {@link dev.tessera.attention.model.CausalLm}: reward and value
 * models with scalar heads, shared-parameter checks, optimiser settings. Sampling is the training
 * module's {@code Generator}.
 */
package dev.tessera.rlhf.model;
