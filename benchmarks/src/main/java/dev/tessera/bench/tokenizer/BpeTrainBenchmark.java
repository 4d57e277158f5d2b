package dev.tessera.bench.tokenizer;

import dev.tessera.tokenizer.BpeTrainer;
import dev.tessera.tokenizer.BpeTrainerConfig;
import dev.tessera.tokenizer.SplitPattern;
import dev.tessera.tokenizer.TrainedBpe;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Byte-level BPE training on a fixed ~1 MB text ({@link #corpus()}) to {@code merges} merges with
 * the cl100k pre-tokeniser, min frequency 2, pieces up to 256 bytes:
 * <ul>
 *   <li>{@code tessera_*}: {@link BpeTrainer#train} (parallel word counting on 2 threads, then
 *       incremental pair counts and a max-heap);</li>
 *   <li>{@code naive_*}: {@link NaiveBpeTrainer}, which recounts every pair for every merge
 *       (one thread).</li>
 * </ul>
 * There is no Java anchor: jtokkit only encodes, and no other trainer is on the class path
 * (Hugging Face {@code tokenizers} training would need its native Rust library). Each side runs
 * the whole training per operation, word counting included.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--add-modules", "jdk.incubator.vector"})
public class BpeTrainBenchmark {
    /** Approximate UTF-8 size of the corpus. */
    static final int CORPUS_BYTES = 1_000_000;

    /**
     * Merges to learn (the vocabulary adds 256 bytes and one special token). 1000 keeps the naive
     * side, which recounts the corpus for every merge, to seconds per operation in the quick suite
     * (at 2000 it took 70 s per operation in a loaded smoke run); pass {@code -p merges=4000} for a
     * few thousand.
     */
    @Param({"1000"})
    public int merges;

    private String text;
    private BpeTrainerConfig config;

    @Setup(Level.Trial)
    public void setUp() {
        text = corpus();
        config = configFor(merges);
    }

    static BpeTrainerConfig configFor(int merges) {
        return new BpeTrainerConfig(256 + merges + 1, List.of("<|endoftext|>"), SplitPattern.CL100K, 2, 256, 2);
    }

    @Benchmark
    public TrainedBpe tessera_bpeTrain() {
        return BpeTrainer.train(List.of(text).iterator(), config);
    }

    @Benchmark
    public List<byte[]> naive_bpeTrain() {
        return NaiveBpeTrainer.train(text, SplitPattern.CL100K.regex(), merges, config.minFrequency(),
                config.maxWordBytes());
    }

    /**
     * Deterministic ~1 MB of English-like text: words drawn Zipf-like from 30 000 invented
     * words (built from syllables, so BPE has shared sub-words to find), sentences with
     * capitals, commas, contractions and numbers, paragraphs, and a sprinkling of accented,
     * Cyrillic and CJK words so multi-byte UTF-8 sequences occur.
     */
    static String corpus() {
        String[] syllables = {"th", "e", "an", "re", "on", "at", "en", "nd", "ti", "es", "or", "te", "of", "ed",
            "is", "it", "al", "ar", "st", "to", "nt", "ng", "se", "ha", "as", "ou", "io", "le", "ve", "co", "me",
            "de", "hi", "ri", "ro", "ic", "ne", "ea", "ra", "ce", "li", "ch", "ll", "be", "ma", "si", "om", "ur"};
        String[] foreign = {"café", "naïve", "Ångström", "über", "привет", "данные", "東京", "中文", "数据", "résumé"};
        SplittableRandom r = new SplittableRandom(1234567);
        String[] vocab = new String[30_000];
        for (int i = 0; i < vocab.length; i++) {
            StringBuilder w = new StringBuilder();
            int n = 1 + r.nextInt(4);
            for (int s = 0; s < n; s++) {
                w.append(syllables[r.nextInt(syllables.length)]);
            }
            vocab[i] = w.toString();
        }
        StringBuilder sb = new StringBuilder(CORPUS_BYTES + 1000);
        int bytes = 0;
        while (bytes < CORPUS_BYTES) {
            int start = sb.length();
            int words = 5 + r.nextInt(20);
            for (int k = 0; k < words; k++) {
                String w;
                int pick = r.nextInt(100);
                if (pick < 2) {
                    w = foreign[r.nextInt(foreign.length)];
                } else if (pick < 4) {
                    w = Integer.toString(r.nextInt(100_000));
                } else {
                    // Zipf-like: the rank is the smaller of three uniform draws, squared into the head.
                    double u = r.nextDouble();
                    w = vocab[(int) (vocab.length * u * u * u)];
                }
                if (k == 0) {
                    w = Character.toUpperCase(w.charAt(0)) + w.substring(1);
                }
                sb.append(w);
                if (r.nextInt(40) == 0) {
                    sb.append("'s");
                }
                sb.append(k == words - 1 ? "" : r.nextInt(12) == 0 ? ", " : " ");
            }
            sb.append(r.nextInt(5) == 0 ? ".\n\n" : ". ");
            bytes += sb.substring(start).getBytes(StandardCharsets.UTF_8).length;
        }
        return sb.toString();
    }
}
