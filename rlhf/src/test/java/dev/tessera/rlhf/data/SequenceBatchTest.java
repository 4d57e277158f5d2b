package dev.tessera.rlhf.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.rlhf.chat.ChatMessage;
import dev.tessera.rlhf.chat.PlainChatTemplate;
import dev.tessera.rlhf.chat.RenderedChat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class SequenceBatchTest {
    private final PlainChatTemplate chat = new PlainChatTemplate(1, 2, 3, 0);

    @Test
    void rightPaddedWithResponseMask() {
        SequenceBatch c = SequenceBatch.of(chat, List.of(new int[] {7}, new int[] {7, 8, 8}), List.of(new int[] {9}, new int[] {5}));
        assertArrayEquals(new int[] {1, 7, 2, 9, 3, 0, 0, /**/ 1, 7, 8, 8, 2, 5, 3}, c.ids().dup('c').data().asInt());
        assertArrayEquals(new float[] {0, 0, 0, 1, 1, 0, 0, /**/ 0, 0, 0, 0, 0, 1, 1}, c.responseMask().dup('c').data().asFloat());
        assertArrayEquals(new int[] {5, 7}, c.lengths());
        // aligned with next-token log-probs: column t belongs to token t + 1
        assertArrayEquals(new float[] {0, 0, 1, 1, 0, 0, /**/ 0, 0, 0, 0, 1, 1}, c.targetMask(DataType.FLOAT).dup('c').data().asFloat());
    }

    @Test
    void renderedMultiTurnConversationsTrainOnEveryAnswer() {
        RenderedChat two = chat.render(List.of(ChatMessage.user(new int[] {7}), ChatMessage.assistant(new int[] {9}),
                ChatMessage.user(new int[] {8}), ChatMessage.assistant(new int[] {5, 6})), false);
        RenderedChat one = chat.render(List.of(ChatMessage.user(new int[] {7}), ChatMessage.assistant(new int[] {9})), false);
        SequenceBatch c = SequenceBatch.ofRendered(List.of(two, one), chat.pad());
        assertArrayEquals(new int[] {1, 7, 2, 9, 3, 1, 8, 2, 5, 6, 3, /**/ 1, 7, 2, 9, 3, 0, 0, 0, 0, 0, 0},
                c.ids().dup('c').data().asInt());
        assertArrayEquals(new float[] {0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1, /**/ 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0},
                c.responseMask().dup('c').data().asFloat());
        assertArrayEquals(new int[] {11, 5}, c.lengths());
        // A single-turn rendered row is the same batch as the prompt/response form.
        SequenceBatch same = SequenceBatch.of(chat, List.of(new int[] {7}), List.of(new int[] {9}));
        SequenceBatch rendered = SequenceBatch.ofRendered(List.of(one), chat.pad());
        assertArrayEquals(same.ids().dup('c').data().asInt(), rendered.ids().dup('c').data().asInt());
        assertArrayEquals(same.responseMask().dup('c').data().asFloat(), rendered.responseMask().dup('c').data().asFloat());
        assertThrows(IllegalArgumentException.class, () -> SequenceBatch.ofRendered(List.of(), 0));
    }

    @Test
    void selectKeepsRowsAtFullWidth() {
        SequenceBatch c = SequenceBatch.of(chat, List.of(new int[] {7}, new int[] {7, 8, 8}), List.of(new int[] {9}, new int[] {5}));
        SequenceBatch s = c.select(new int[] {1, 0});
        assertArrayEquals(new int[] {1, 7, 8, 8, 2, 5, 3, /**/ 1, 7, 2, 9, 3, 0, 0}, s.ids().dup('c').data().asInt());
        assertArrayEquals(new int[] {7, 5}, s.lengths());
        assertArrayEquals(new float[] {0, 0, 0, 0, 0, 1, 1, /**/ 0, 0, 0, 1, 1, 0, 0}, s.responseMask().dup('c').data().asFloat());
        assertArrayEquals(new int[] {1, 7, 2, 9, 3}, c.row(0));
        assertThrows(IllegalArgumentException.class, () -> c.select(new int[] {2}));
    }

    @Test
    void badInputIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> SequenceBatch.of(chat, List.of(new int[] {7}), List.of()));
        assertThrows(IllegalArgumentException.class,
                () -> SequenceBatch.ofFormatted(new int[][] {{1, 2}}, new int[] {3}, 0));
    }
}
