package dev.tessera.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Child-JVM probe for {@link FilesAndTokenizersHardeningTest}: encodes one piece of
 * {@code args[0]} letters with cl100k (ids, then ids with spans) and prints "ok" when the ids
 * decode back to the text and the spans tile it.
 */
final class HugePieceProbe {
    private HugePieceProbe() {
    }

    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]);
        String text = "a".repeat(n);
        Tokenizer cl = Tokenizers.cl100kBase();
        int[] ids = cl.encodeOrdinary(text);
        if (cl.decodeBytes(ids).length != n) {
            throw new AssertionError("decoded length differs");
        }
        byte[] head = cl.decodeBytes(java.util.Arrays.copyOf(ids, 4));
        if (!new String(head, StandardCharsets.UTF_8).chars().allMatch(c -> c == 'a')) {
            throw new AssertionError("decoded text differs");
        }
        ids = null;
        Encoded e = cl.encodeWithSpans(text, Set.of());
        int pos = 0;
        for (int i = 0; i < e.ids().length; i++) {
            if (e.starts()[i] != pos) {
                throw new AssertionError("span " + i + " starts at " + e.starts()[i] + ", expected " + pos);
            }
            pos = e.ends()[i];
        }
        if (pos != n) {
            throw new AssertionError("spans end at " + pos + ", expected " + n);
        }
        System.out.println("ok " + e.ids().length + " tokens");
    }
}
