/**
 * Chat templates: how system, user and assistant turns become token ids, with a mask of the
 * assistant's answer tokens. {@link dev.tessera.rlhf.chat.PlainChatTemplate} is the recipe's
 * four-marker layout; {@link dev.tessera.rlhf.chat.Llama3ChatTemplate} and
 * {@link dev.tessera.rlhf.chat.ChatMlChatTemplate} are the layouts of published instruct models.
 */
package dev.tessera.rlhf.chat;
