/**
 * Supervised fine-tuning: the response-only SFT trainer, which lays conversations out with the
 * {@link dev.tessera.rlhf.chat.ChatTemplate} that generation uses.
 */
package dev.tessera.rlhf.sft;
