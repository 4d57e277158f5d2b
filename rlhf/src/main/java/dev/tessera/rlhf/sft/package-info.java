/**
 * Supervised fine-tuning: the chat format shared by training and generation, and the response-only SFT trainer.
 */
package dev.tessera.rlhf.sft;
