/**
 * Hugging Face model directories: {@link dev.tessera.attention.model.hf.HfModels} loads GPT-2,
 * Llama, Mistral and Qwen2 checkpoints ({@code config.json}, single or sharded safetensors,
 * {@code tokenizer.json}, special token ids) into Tessera's models and saves them back in the
 * same layout.
 */
package dev.tessera.attention.model.hf;
