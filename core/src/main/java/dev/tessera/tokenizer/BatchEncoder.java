package dev.tessera.tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Encodes many texts at once, with truncation, padding and attention masks.
 *
 * <pre>
 * EncodedBatch b = BatchEncoder.encode(Tokenizers.cl100kBase(), List.of("hello world", "hi"),
 *         BatchOptions.padLongest(0));
 * b.ids()           -> [[15339, 1917], [6151, 0]]
 * b.attentionMask() -> [[1, 1], [1, 0]]
 * </pre>
 *
 * <p>Parallelism: texts are encoded on the common fork-join pool when {@code parallel} is set
 * and the batch holds at least 2 texts and 16 K chars; below that the fork/join overhead
 * exceeds the work. Tokenizers are thread-safe (per-call scratch state).
 */
public final class BatchEncoder {
    private static final int PARALLEL_MIN_CHARS = 16 * 1024;

    private BatchEncoder() {
    }

    public static EncodedBatch encode(Tokenizer tokenizer, List<String> texts, BatchOptions options) {
        if (tokenizer == null || options == null) {
            throw new IllegalArgumentException("tokenizer and options must not be null");
        }
        if (texts == null || texts.isEmpty()) {
            throw new IllegalArgumentException("texts must be a non-empty list, got " + (texts == null ? "null" : "[]"));
        }
        long chars = 0;
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null) {
                throw new IllegalArgumentException("texts[" + i + "] is null");
            }
            chars += texts.get(i).length();
        }
        int n = texts.size();
        Encoded[] enc = new Encoded[n];
        IntStream range = IntStream.range(0, n);
        if (options.parallel() && n > 1 && chars >= PARALLEL_MIN_CHARS) {
            range = range.parallel();
        }
        range.forEach(i -> enc[i] = tokenizer.encodeWithSpans(texts.get(i), options.allowedSpecial()));
        int max = options.maxLength();
        int target = 0;
        int[][] ids = new int[n][];
        int[][] st = new int[n][];
        int[][] en = new int[n][];
        for (int i = 0; i < n; i++) {
            int len = enc[i].size();
            int from = 0;
            int to = len;
            if (max > 0 && len > max) {
                if (options.truncationSide() == BatchOptions.Side.RIGHT) {
                    to = max;
                } else {
                    from = len - max;
                }
            }
            ids[i] = Arrays.copyOfRange(enc[i].ids(), from, to);
            st[i] = Arrays.copyOfRange(enc[i].starts(), from, to);
            en[i] = Arrays.copyOfRange(enc[i].ends(), from, to);
            target = Math.max(target, to - from);
        }
        if (options.padding() == BatchOptions.Padding.MAX_LENGTH) {
            target = max;
        }
        int[][] mask = new int[n][];
        for (int i = 0; i < n; i++) {
            int len = ids[i].length;
            int width = options.padding() == BatchOptions.Padding.NONE ? len : target;
            int off = options.paddingSide() == BatchOptions.Side.LEFT ? width - len : 0;
            int[] id = new int[width];
            int[] m = new int[width];
            int[] s = new int[width];
            int[] e = new int[width];
            Arrays.fill(id, options.padId());
            System.arraycopy(ids[i], 0, id, off, len);
            System.arraycopy(st[i], 0, s, off, len);
            System.arraycopy(en[i], 0, e, off, len);
            Arrays.fill(m, off, off + len, 1);
            ids[i] = id;
            mask[i] = m;
            st[i] = s;
            en[i] = e;
        }
        return new EncodedBatch(ids, mask, st, en);
    }
}
