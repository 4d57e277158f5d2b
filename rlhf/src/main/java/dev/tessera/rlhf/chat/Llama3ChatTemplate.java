package dev.tessera.rlhf.chat;

import dev.tessera.tokenizer.Tokenizer;
import java.util.List;
import java.util.Set;

/**
 * The Llama 3 instruct layout:
 * <pre>
 * &lt;|begin_of_text|&gt;&lt;|start_header_id|&gt;system&lt;|end_header_id|&gt;\n\n{content}&lt;|eot_id|&gt;
 * &lt;|start_header_id|&gt;user&lt;|end_header_id|&gt;\n\n{content}&lt;|eot_id|&gt;
 * &lt;|start_header_id|&gt;assistant&lt;|end_header_id|&gt;\n\n{answer}&lt;|eot_id|&gt;
 * </pre>
 * (no line breaks between turns). The answer and its {@code <|eot_id|>} are the assistant's
 * tokens; the generation prompt is the assistant header. The role name and the {@code "\n\n"}
 * are encoded as ordinary text; content ids are used as given (Meta's template also trims the
 * content text's surrounding whitespace: trim before encoding to reproduce it).
 *
 * <p>With Llama 3's tokenizer: {@code <|begin_of_text|>} = 128000, {@code <|start_header_id|>}
 * = 128006, {@code <|end_header_id|>} = 128007, {@code <|eot_id|>} = 128009, and the header of
 * a user turn is {@code [128006, 882, 128007, 271]}.
 */
public final class Llama3ChatTemplate implements ChatTemplate {
    public static final String BEGIN_OF_TEXT = "<|begin_of_text|>";
    public static final String START_HEADER = "<|start_header_id|>";
    public static final String END_HEADER = "<|end_header_id|>";
    public static final String END_OF_TURN = "<|eot_id|>";

    private final int begin;
    private final int eot;
    private final int pad;
    private final int[][] headers = new int[ChatRole.values().length][];
    private final Set<Integer> specials;
    private final int vocabSize;

    /**
     * @param tokenizer a tokenizer with the four Llama 3 special tokens
     * @param padToken the special token used for padding (Llama 3.1 has {@code <|finetune_right_pad_id|>})
     * @throws IllegalArgumentException naming a special token the tokenizer lacks
     */
    public Llama3ChatTemplate(Tokenizer tokenizer, String padToken) {
        if (tokenizer == null || padToken == null) {
            throw new IllegalArgumentException("Llama3ChatTemplate: tokenizer and padToken must not be null");
        }
        String name = "Llama 3";
        this.begin = TemplateTokens.id(tokenizer, BEGIN_OF_TEXT, name);
        int start = TemplateTokens.id(tokenizer, START_HEADER, name);
        int endHeader = TemplateTokens.id(tokenizer, END_HEADER, name);
        this.eot = TemplateTokens.id(tokenizer, END_OF_TURN, name);
        this.pad = TemplateTokens.id(tokenizer, padToken, name);
        if (pad == eot || pad == begin || pad == start || pad == endHeader) {
            throw new IllegalArgumentException("Llama3ChatTemplate: padToken " + padToken
                    + " must differ from the template's markers");
        }
        int[] blankLine = tokenizer.encodeOrdinary("\n\n");
        for (ChatRole role : ChatRole.values()) {
            int[] roleIds = tokenizer.encodeOrdinary(role.text());
            int[] h = new int[roleIds.length + 2 + blankLine.length];
            h[0] = start;
            System.arraycopy(roleIds, 0, h, 1, roleIds.length);
            h[roleIds.length + 1] = endHeader;
            System.arraycopy(blankLine, 0, h, roleIds.length + 2, blankLine.length);
            headers[role.ordinal()] = h;
        }
        this.specials = Set.copyOf(tokenizer.specialTokens().values());
        this.vocabSize = tokenizer.vocabSize();
    }

    @Override
    public RenderedChat render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return ChatBuilder.headedTurns(messages, addGenerationPrompt, new int[] {begin}, headers, eot, new int[0], specials::contains,
                vocabSize);
    }

    @Override
    public int[] response(int[] responseTokens) {
        return ChatBuilder.closedResponse(responseTokens, eot, specials::contains, vocabSize);
    }

    @Override
    public int end() {
        return eot;
    }

    @Override
    public int pad() {
        return pad;
    }
}
