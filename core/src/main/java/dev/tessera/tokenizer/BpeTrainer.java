package dev.tessera.tokenizer;

import dev.tessera.core.Require;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Learns a byte-level BPE vocabulary (tiktoken style: 256 byte tokens, then one token per
 * merge, then the special tokens).
 *
 * <pre>
 * TrainedBpe bpe = BpeTrainer.trainFiles(List.of(Path.of("corpus.txt")), BpeTrainerConfig.of(8192));
 * bpe.writeTiktoken(Path.of("my.tiktoken"));
 * bpe.writeTokenizerJson(Path.of("tokenizer.json"));
 * Tokenizer tok = bpe.tokenizer();
 * </pre>
 *
 * <p>Algorithm: (1) pre-tokenise with the configured scanner and count unique words
 * ({@link WordCounts}, in parallel over chunks of text, then merged); (2) store every word
 * as a run of symbol ids in one {@code int[]}, index each adjacent pair with its total
 * count and the list of words holding it; (3) repeatedly take the most frequent pair from a
 * max-heap with lazy invalidation (an entry is used only if its count is still current;
 * pairs whose count grew are re-pushed after each merge), rewrite only the words that
 * contain it, and apply the resulting pair-count deltas. No merge recounts the corpus.
 *
 * <p>Determinism: the result depends only on the multiset of words. Ties between pairs of
 * equal count are broken by the pairs' bytes (left token's bytes, then the right token's,
 * unsigned lexicographic), never by hash or insertion order, so thread scheduling does not
 * change the output.
 *
 * <p>Text given to the trainer is split into independent units (each string of the iterator;
 * each chunk of about 128 K chars, cut after a newline, of a file); special-token spellings in
 * the text are removed before counting.
 */
public final class BpeTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(BpeTrainer.class);
    // 128 K chars: a chunk's String stays under half a G1 region at small heaps, so it is not a
    // humongous allocation; 1 M-char chunks caused dozens of extra concurrent cycles at -Xmx256m.
    private static final int CHUNK_CHARS = 1 << 17;
    private static final String END = new String("end of input"); // identity sentinel

    private BpeTrainer() {
    }

    /** Trains on UTF-8 text files (malformed bytes are replaced by U+FFFD). */
    public static TrainedBpe trainFiles(List<Path> files, BpeTrainerConfig config) throws IOException {
        if (files == null || files.isEmpty()) {
            throw new IllegalArgumentException("files must not be empty");
        }
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                throw new IllegalArgumentException("not a readable file: " + f);
            }
        }
        try (FileChunks chunks = new FileChunks(files)) {
            return train(chunks, config);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Trains on an iterator of texts. */
    public static TrainedBpe train(Iterator<String> texts, BpeTrainerConfig config) {
        Require.nonNull("texts", texts);
        Require.nonNull("config", config);
        long t0 = System.nanoTime();
        WordCounts words = countWords(texts, config);
        long t1 = System.nanoTime();
        LOG.info("counted {} unique words ({} bytes of word text) in {} ms",
                words.size, words.arenaSize, (t1 - t0) / 1_000_000);
        int merges = config.vocabSize() - 256 - config.specialTokens().size();
        TrainedBpe result = new PairMerger(words, config.maxWordBytes()).run(merges, config);
        LOG.info("learned {} merges in {} ms", result.mergeCount(), (System.nanoTime() - t1) / 1_000_000);
        return result;
    }

    private static WordCounts countWords(Iterator<String> texts, BpeTrainerConfig config) {
        PieceScanner scanner = config.pattern().scanner();
        List<String> specials = config.specialTokens();
        int threads = config.threads();
        if (threads == 1) {
            WordCounts wc = new WordCounts();
            Counter c = new Counter(scanner, specials, config.maxWordBytes(), wc);
            while (texts.hasNext()) {
                String s = texts.next();
                if (s == null) {
                    throw new IllegalArgumentException("texts must not contain null");
                }
                c.count(s);
            }
            logSkipped(c.skipped, config);
            return wc;
        }
        BlockingQueue<String> queue = new ArrayBlockingQueue<>(2 * threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "bpe-count");
            t.setDaemon(true);
            return t;
        });
        List<Future<WordCounts>> parts = new ArrayList<>();
        try {
            for (int i = 0; i < threads; i++) {
                parts.add(pool.submit(() -> {
                    WordCounts wc = new WordCounts();
                    Counter c = new Counter(scanner, specials, config.maxWordBytes(), wc);
                    for (String s; (s = queue.take()) != END; ) {
                        c.count(s);
                    }
                    logSkipped(c.skipped, config);
                    return wc;
                }));
            }
            try {
                while (texts.hasNext()) {
                    String s = texts.next();
                    if (s == null) {
                        throw new IllegalArgumentException("texts must not contain null");
                    }
                    put(queue, s, parts);
                }
            } finally {
                for (int i = 0; i < threads; i++) {
                    put(queue, END, parts);
                }
            }
            WordCounts total = parts.get(0).get();
            for (int i = 1; i < threads; i++) {
                total.addAll(parts.get(i).get());
            }
            return total;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while counting words", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("word counting failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Hands a text to the counting threads without blocking forever if one of them died
     * (a full queue with no consumer would otherwise hang the producer).
     */
    private static void put(BlockingQueue<String> queue, String s, List<Future<WordCounts>> parts)
            throws InterruptedException, ExecutionException {
        while (!queue.offer(s, 50, TimeUnit.MILLISECONDS)) {
            for (Future<WordCounts> f : parts) {
                if (f.isDone()) {
                    f.get(); // rethrows the worker's failure
                    throw new IllegalStateException("a word-counting thread stopped early");
                }
            }
        }
    }

    private static void logSkipped(long skipped, BpeTrainerConfig config) {
        if (skipped > 0) {
            LOG.info("ignored {} pieces longer than maxWordBytes = {}", skipped, config.maxWordBytes());
        }
    }

    /** Pre-tokenises texts and counts their pieces. */
    private static final class Counter {
        private final PieceScanner scanner;
        private final List<String> specials;
        private final int maxWordBytes;
        private final WordCounts out;
        private byte[] buf = new byte[1024];
        long skipped;

        Counter(PieceScanner scanner, List<String> specials, int maxWordBytes, WordCounts out) {
            this.scanner = scanner;
            this.specials = specials;
            this.maxWordBytes = maxWordBytes;
            this.out = out;
        }

        void count(String text) {
            int pos = 0;
            while (pos < text.length()) {
                int next = text.length();
                int skip = 0;
                for (String sp : specials) {
                    int i = text.indexOf(sp, pos);
                    if (i >= 0 && i < next) {
                        next = i;
                        skip = sp.length();
                    }
                }
                segment(text, pos, next);
                pos = next + skip;
            }
        }

        private void segment(String s, int from, int to) {
            int i = from;
            while (i < to) {
                int e = scanner.next(s, i, to);
                if (3 * (e - i) > buf.length) {
                    buf = new byte[Math.max(3 * (e - i), 2 * buf.length)];
                }
                int n = Utf8.encode(s, i, e, buf);
                if (n <= maxWordBytes) {
                    out.add(buf, 0, n, 1);
                } else {
                    skipped++;
                }
                i = e;
            }
        }
    }

    /** Reads files as chunks of about CHUNK_CHARS chars, each cut after a newline. */
    private static final class FileChunks implements Iterator<String>, AutoCloseable {
        private final Iterator<Path> files;
        private BufferedReader reader;
        private String next;
        private final StringBuilder sb = new StringBuilder(CHUNK_CHARS + 4096);
        private final char[] cbuf = new char[1 << 16];
        private int cbufPos;
        private int cbufLen;

        FileChunks(List<Path> files) {
            this.files = files.iterator();
        }

        @Override
        public void close() throws IOException {
            if (reader != null) {
                reader.close();
                reader = null;
            }
        }

        @Override
        public boolean hasNext() {
            if (next == null) {
                next = read();
            }
            return next != null;
        }

        @Override
        public String next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            String s = next;
            next = null;
            return s;
        }

        private String read() {
            try {
                sb.setLength(0);
                while (true) {
                    if (reader == null) {
                        if (!files.hasNext()) {
                            return sb.length() > 0 ? sb.toString() : null;
                        }
                        Path p = files.next();
                        reader = new BufferedReader(new InputStreamReader(Files.newInputStream(p),
                                StandardCharsets.UTF_8.newDecoder()
                                        .onMalformedInput(CodingErrorAction.REPLACE)
                                        .onUnmappableCharacter(CodingErrorAction.REPLACE)), 1 << 16);
                        cbufPos = cbufLen = 0;
                    }
                    if (cbufPos == cbufLen) {
                        cbufLen = reader.read(cbuf);
                        cbufPos = 0;
                        if (cbufLen < 0) {
                            reader.close();
                            reader = null;
                            cbufLen = 0;
                            if (sb.length() > 0) {
                                return sb.toString(); // a file ends a chunk
                            }
                            continue;
                        }
                    }
                    int i = cbufPos;
                    if (sb.length() >= CHUNK_CHARS) {
                        while (i < cbufLen && cbuf[i] != '\n') {
                            i++;
                        }
                        if (i < cbufLen) {
                            sb.append(cbuf, cbufPos, i + 1 - cbufPos);
                            cbufPos = i + 1;
                            return sb.toString();
                        }
                    }
                    sb.append(cbuf, cbufPos, cbufLen - cbufPos);
                    cbufPos = cbufLen;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
