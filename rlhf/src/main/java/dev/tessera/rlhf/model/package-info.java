/**
 * The models RLHF needs: a {@link dev.tessera.rlhf.model.CausalLm} adapter (over the attention module's GPT), reward and value models with scalar heads, KV-cache sampling, optimiser settings.
 */
package dev.tessera.rlhf.model;
