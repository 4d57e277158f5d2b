package dev.tessera.rlhf.chat;

import dev.tessera.tokenizer.Tokenizer;
import java.util.List;
import java.util.Set;

/**
 * The ChatML layout (Qwen, many fine-tunes):
 * <pre>
 * &lt;|im_start|&gt;system\n{content}&lt;|im_end|&gt;\n
 * &lt;|im_start|&gt;user\n{content}&lt;|im_end|&gt;\n
 * &lt;|im_start|&gt;assistant\n{answer}&lt;|im_end|&gt;\n
 * </pre>
 * The answer and its {@code <|im_end|>} are the assistant's tokens (not the line break after
 * it); the generation prompt is {@code <|im_start|>assistant\n}. {@code "role\n"} and the line
 * break after each turn are encoded as ordinary text, separately from the content ids, which
 * equals encoding the whole text whenever the tokenizer's pre-tokenizer splits at line breaks
 * (the byte-level BPE of Qwen 2 and GPT-4 do, unless the content itself starts with one).
 */
public final class ChatMlChatTemplate implements ChatTemplate {
    public static final String IM_START = "<|im_start|>";
    public static final String IM_END = "<|im_end|>";

    private final int imEnd;
    private final int pad;
    private final int[][] headers = new int[ChatRole.values().length][];
    private final int[] lineBreak;
    private final Set<Integer> specials;
    private final int vocabSize;

    /**
     * @param tokenizer a tokenizer with {@code <|im_start|>} and {@code <|im_end|>} as special tokens
     * @param padToken the special token used for padding (Qwen uses {@code <|endoftext|>})
     * @throws IllegalArgumentException naming a special token the tokenizer lacks
     */
    public ChatMlChatTemplate(Tokenizer tokenizer, String padToken) {
        if (tokenizer == null || padToken == null) {
            throw new IllegalArgumentException("ChatMlChatTemplate: tokenizer and padToken must not be null");
        }
        int imStart = TemplateTokens.id(tokenizer, IM_START, "ChatML");
        this.imEnd = TemplateTokens.id(tokenizer, IM_END, "ChatML");
        this.pad = TemplateTokens.id(tokenizer, padToken, "ChatML");
        if (pad == imStart || pad == imEnd) {
            throw new IllegalArgumentException("ChatMlChatTemplate: padToken " + padToken
                    + " must differ from <|im_start|> and <|im_end|>");
        }
        for (ChatRole role : ChatRole.values()) {
            int[] roleIds = tokenizer.encodeOrdinary(role.text() + "\n");
            int[] h = new int[roleIds.length + 1];
            h[0] = imStart;
            System.arraycopy(roleIds, 0, h, 1, roleIds.length);
            headers[role.ordinal()] = h;
        }
        this.lineBreak = tokenizer.encodeOrdinary("\n");
        this.specials = Set.copyOf(tokenizer.specialTokens().values());
        this.vocabSize = tokenizer.vocabSize();
    }

    @Override
    public RenderedChat render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return ChatBuilder.headedTurns(messages, addGenerationPrompt, new int[0], headers, imEnd, lineBreak, specials::contains,
                vocabSize);
    }

    @Override
    public int[] response(int[] responseTokens) {
        return ChatBuilder.closedResponse(responseTokens, imEnd, specials::contains, vocabSize);
    }

    @Override
    public int end() {
        return imEnd;
    }

    @Override
    public int pad() {
        return pad;
    }
}
