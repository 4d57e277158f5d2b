package dev.tessera.training.cli;

import dev.tessera.tokenizer.BpeTrainer;
import dev.tessera.tokenizer.BpeTrainerConfig;
import dev.tessera.tokenizer.SplitPattern;
import dev.tessera.tokenizer.Tokenizer;
import dev.tessera.tokenizer.Tokenizers;
import dev.tessera.tokenizer.TrainedBpe;
import dev.tessera.training.data.TokenFile;
import dev.tessera.training.data.TokenizerEncoder;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The CLI's data preparation: a byte-level BPE tokenizer (trained on the texts with the
 * special tokens {@code <|endoftext|>}, {@code <|mask|>}, {@code <|pad|>}, or loaded), the
 * texts tokenised once into {@code tokens.bin}, and corpus statistics.
 */
final class Corpus {
    static final String EOT = "<|endoftext|>";
    static final String MASK = "<|mask|>";
    static final String PAD = "<|pad|>";

    final Tokenizer tokenizer;
    final TokenFile tokens;
    final long textBytes;
    final int eotId;

    private Corpus(Tokenizer tokenizer, TokenFile tokens, long textBytes) {
        this.tokenizer = tokenizer;
        this.tokens = tokens;
        this.textBytes = textBytes;
        this.eotId = special(EOT);
    }

    int special(String name) {
        Integer id = tokenizer.specialTokens().get(name);
        if (id == null) {
            throw new IllegalArgumentException("the tokenizer has no special token " + name + "; it has "
                    + tokenizer.specialTokens().keySet());
        }
        return id;
    }

    /** Loads tokenizer.json and tokens.bin from {@code out} when present (resume), else builds them. */
    static Corpus prepare(PretrainOptions o, PrintStream log) throws IOException {
        Files.createDirectories(o.out());
        long bytes = 0;
        for (Path t : o.texts()) {
            bytes += Files.size(t);
        }
        Path tokJson = o.out().resolve("tokenizer.json");
        Tokenizer tok;
        if (o.tokenizer() != null) {
            tok = Tokenizers.fromTokenizerJson(o.tokenizer());
            log.println("tokenizer: loaded " + o.tokenizer() + " (" + tok.vocabSize() + " ids)");
        } else if (Files.exists(tokJson)) {
            tok = Tokenizers.fromTokenizerJson(tokJson);
            log.println("tokenizer: reusing " + tokJson + " (" + tok.vocabSize() + " ids)");
        } else {
            long t0 = System.nanoTime();
            TrainedBpe bpe = BpeTrainer.trainFiles(o.texts(),
                    new BpeTrainerConfig(o.vocab(), List.of(EOT, MASK, PAD), SplitPattern.CL100K, 2, 256, 2));
            bpe.writeTokenizerJson(tokJson);
            tok = bpe.tokenizer();
            log.printf("tokenizer: trained byte-level BPE, %d ids, in %.1f s -> %s%n", tok.vocabSize(),
                    (System.nanoTime() - t0) / 1e9, tokJson);
        }
        Path bin = o.out().resolve("tokens.bin");
        if (!Files.exists(bin)) {
            long t0 = System.nanoTime();
            TokenizerEncoder enc = new TokenizerEncoder(tok);
            Integer eot = tok.specialTokens().get(EOT);
            if (eot == null) {
                throw new IllegalArgumentException("the tokenizer needs the special token " + EOT + " as document separator");
            }
            try (TokenFile.Writer w = TokenFile.writer(bin, tok.vocabSize())) {
                for (Path t : o.texts()) {
                    w.append(enc.encode(new String(Files.readAllBytes(t), StandardCharsets.UTF_8)));
                    w.append(new int[] {eot});
                }
                w.commit();
            }
            log.printf("tokens: %s, %.1f s%n", bin, (System.nanoTime() - t0) / 1e9);
        }
        Corpus c = new Corpus(tok, TokenFile.open(bin), bytes);
        log.printf("corpus: %,d bytes -> %,d tokens (%.2f bytes/token)%n", bytes, c.tokens.size(),
                (double) bytes / c.tokens.size());
        return c;
    }

    /** Unigram entropy (nats/token) of tokens [from, to): the loss of the best context-free predictor. */
    double unigramEntropy(long from, long to) {
        long[] counts = counts(from, to);
        double h = 0;
        double n = to - from;
        for (long c : counts) {
            if (c > 0) {
                double p = c / n;
                h -= p * Math.log(p);
            }
        }
        return h;
    }

    long[] counts(long from, long to) {
        long[] counts = new long[tokens.vocabSize()];
        for (long i = from; i < to; i++) {
            counts[tokens.get(i)]++;
        }
        return counts;
    }
}
