package dev.tessera.tokenizer.cli;

import dev.tessera.tokenizer.BpeTrainer;
import dev.tessera.tokenizer.BpeTrainerConfig;
import dev.tessera.tokenizer.SplitPattern;
import dev.tessera.tokenizer.Tokenizer;
import dev.tessera.tokenizer.TrainedBpe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Trains a byte-level BPE vocabulary from text files and writes {@code <out>.tiktoken} and
 * {@code <out>.tokenizer.json}.
 *
 * <pre>
 * java -cp ... dev.tessera.tokenizer.cli.TrainBpeCli --vocab 8192 --threads 2 --pattern CL100K \
 *      --out /tmp/bpe8k corpus.txt [more files]
 * </pre>
 */
public final class TrainBpeCli {
    private TrainBpeCli() {
    }

    public static void main(String[] args) throws Exception {
        int vocab = 8192;
        int threads = 2;
        int minFreq = 2;
        SplitPattern pattern = SplitPattern.CL100K;
        String out = null;
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--vocab" -> vocab = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--min-frequency" -> minFreq = Integer.parseInt(args[++i]);
                case "--pattern" -> pattern = SplitPattern.valueOf(args[++i]);
                case "--out" -> out = args[++i];
                default -> files.add(Path.of(args[i]));
            }
        }
        if (files.isEmpty()) {
            System.err.println("usage: TrainBpeCli [--vocab N] [--threads N] [--min-frequency N] "
                    + "[--pattern GPT2|CL100K|O200K|QWEN2] [--out PREFIX] FILE...");
            System.exit(2);
        }
        long bytes = 0;
        for (Path f : files) {
            bytes += Files.size(f);
        }
        long t0 = System.nanoTime();
        TrainedBpe bpe = BpeTrainer.trainFiles(files,
                new BpeTrainerConfig(vocab, List.of("<|endoftext|>"), pattern, minFreq, 256, threads));
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("trained %d merges (vocab %d) on %.1f MB in %.2f s%n", bpe.mergeCount(), bpe.vocabSize(),
                bytes / 1048576.0, secs);
        if (out != null) {
            bpe.writeTiktoken(Path.of(out + ".tiktoken"));
            bpe.writeTokenizerJson(Path.of(out + ".tokenizer.json"));
            Tokenizer t = bpe.tokenizer();
            String sample = "The quick brown fox; public static void main(String[] args) {}";
            System.out.println("wrote " + out + ".tiktoken and " + out + ".tokenizer.json; sample encodes to "
                    + t.encode(sample).length + " tokens");
        }
    }
}
