package dev.tessera.rlhf.pipeline;

import dev.tessera.rlhf.chat.PlainChatTemplate;
import dev.tessera.tokenizer.BpeTrainer;
import dev.tessera.tokenizer.BpeTrainerConfig;
import dev.tessera.tokenizer.SplitPattern;
import dev.tessera.tokenizer.Tokenizer;
import dev.tessera.tokenizer.TrainedBpe;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A byte-level BPE tokenizer trained for the demo, with the chat markers as special tokens, and
 * the {@link PlainChatTemplate} over their ids (the recipe's chat layout). Content text is always encoded with
 * {@link Tokenizer#encodeOrdinary}: a prompt that spells {@code <|end|>} stays plain text and
 * cannot forge a turn.
 *
 * <p>The GPT-2 split pattern keeps a space with the digit after it ({@code " 3"}), so each
 * operand of the task is one token once BPE has merged the ten {@code " d"} pairs.
 */
public final class ChatTokenizer {
    public static final String END_OF_TEXT = "<|endoftext|>";
    public static final String USER = "<|user|>";
    public static final String ASSISTANT = "<|assistant|>";
    public static final String END = "<|end|>";
    public static final String PAD = "<|pad|>";
    /** The special tokens, in id order after the learned merges. */
    public static final List<String> SPECIAL_TOKENS = List.of(END_OF_TEXT, USER, ASSISTANT, END, PAD);

    private final TrainedBpe trained;
    private final Tokenizer tokenizer;
    private final PlainChatTemplate chat;
    private final int endOfText;

    private ChatTokenizer(TrainedBpe trained) {
        this.trained = trained;
        this.tokenizer = trained.tokenizer();
        Map<String, Integer> s = tokenizer.specialTokens();
        this.chat = new PlainChatTemplate(s.get(USER), s.get(ASSISTANT), s.get(END), s.get(PAD));
        this.endOfText = s.get(END_OF_TEXT);
    }

    /**
     * Trains on {@code texts} (each one an independent unit for pre-tokenisation).
     *
     * @param vocabSize at most this many tokens (256 bytes + merges + 5 special tokens); fewer
     *     when no pair occurs twice any more
     */
    public static ChatTokenizer train(List<String> texts, int vocabSize) {
        BpeTrainerConfig config = new BpeTrainerConfig(vocabSize, SPECIAL_TOKENS, SplitPattern.GPT2, 2, 256, 2);
        return new ChatTokenizer(BpeTrainer.train(texts.iterator(), config));
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The recipe's chat layout: the plain {@code <|user|> … <|assistant|> … <|end|>} template. */
    public PlainChatTemplate chat() {
        return chat;
    }

    /** Id of {@code <|endoftext|>}, the separator between pretraining documents. */
    public int endOfText() {
        return endOfText;
    }

    public int vocabSize() {
        return tokenizer.vocabSize();
    }

    /** Learned merges (vocabulary size = 256 + merges + special tokens). */
    public int mergeCount() {
        return trained.mergeCount();
    }

    /** Content text → ids, special-token spellings treated as text. */
    public int[] encode(String text) {
        return tokenizer.encodeOrdinary(text);
    }

    /** The text of a generated response: its tokens before the end marker, decoded (malformed UTF-8 → U+FFFD). */
    public String responseText(int[] generated) {
        return tokenizer.decodeLossy(chat.strip(generated));
    }

    /** Writes the vocabulary as a Hugging Face tokenizer.json. */
    public void writeTokenizerJson(Path file) throws IOException {
        trained.writeTokenizerJson(file);
    }
}
