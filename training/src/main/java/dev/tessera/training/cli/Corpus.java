package dev.tessera.training.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.io.AtomicFiles;
import dev.tessera.io.Sha256;
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
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The CLI's data preparation: a byte-level BPE tokenizer (trained on the texts with the
 * special tokens {@code <|endoftext|>}, {@code <|mask|>}, {@code <|pad|>}, or copied from
 * {@code --tokenizer}), the texts tokenised once into {@code tokens.bin}, and corpus statistics.
 *
 * <p><b>The cache and what it was built from.</b> {@code OUT/corpus.json}, written last, records
 * the source of {@code tokenizer.json} and {@code tokens.bin}: each text's path, size and
 * SHA-256, and the tokenizer's settings (or the SHA-256 of the given tokenizer.json); and the
 * size and SHA-256 of the two files. A later run reuses them only when its texts (by size and
 * hash, in order) and tokenizer settings are the same and both files are intact; otherwise it
 * rebuilds them, so a run never trains on a corpus other than its {@code --text}.
 */
final class Corpus {
    static final String EOT = "<|endoftext|>";
    static final String MASK = "<|mask|>";
    static final String PAD = "<|pad|>";
    static final String MANIFEST = "corpus.json";
    private static final String FORMAT = "tessera-corpus-cache";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> SPECIALS = List.of(EOT, MASK, PAD);
    private static final int MIN_FREQUENCY = 2;
    private static final int MAX_WORD_BYTES = 256;

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

    /** Why the cache in OUT cannot be reused for these options; {@code sourceDiffers}: built from other inputs. */
    record CacheProblem(String reason, boolean sourceDiffers) {}

    /** What the cache for these options is built from: the texts and the tokenizer settings. */
    static ObjectNode source(PretrainOptions o) throws IOException {
        ObjectNode src = JSON.createObjectNode();
        ArrayNode texts = src.putArray("texts");
        for (Path t : o.texts()) {
            ObjectNode e = texts.addObject();
            e.put("path", t.toAbsolutePath().normalize().toString());
            e.put("bytes", Files.size(t));
            e.put("sha256", Sha256.of(t));
        }
        ObjectNode tok = src.putObject("tokenizer");
        if (o.tokenizer() != null) {
            tok.put("file", o.tokenizer().toAbsolutePath().normalize().toString());
            tok.put("sha256", Sha256.of(o.tokenizer()));
        } else {
            tok.put("vocab", o.vocab());
            tok.put("pattern", SplitPattern.CL100K.name());
            ArrayNode sp = tok.putArray("specials");
            SPECIALS.forEach(sp::add);
            tok.put("min_frequency", MIN_FREQUENCY);
            tok.put("max_word_bytes", MAX_WORD_BYTES);
        }
        return src;
    }

    /** Empty when OUT holds an intact cache built from {@code source}; else why not. */
    static Optional<CacheProblem> cacheProblem(Path out, ObjectNode source) throws IOException {
        Path mf = out.resolve(MANIFEST);
        if (!Files.isRegularFile(mf)) {
            return Optional.of(new CacheProblem(mf + " is missing, so nothing records what " + out
                    + " was built from", true));
        }
        JsonNode m;
        try {
            m = JSON.readTree(Files.readAllBytes(mf));
        } catch (JsonProcessingException e) {
            return Optional.of(new CacheProblem(mf + " is not valid JSON: " + e.getOriginalMessage(), true));
        }
        if (m == null || !m.isObject() || !FORMAT.equals(m.path("format").asText())) {
            return Optional.of(new CacheProblem(mf + " is not a corpus cache record", true));
        }
        JsonNode built = m.path("source");
        if (!sameTexts(built.path("texts"), source.path("texts"))) {
            return Optional.of(new CacheProblem("it was built from --text " + describe(built.path("texts"))
                    + " but this run has --text " + describe(source.path("texts")), true));
        }
        if (!sameTokenizer(built.path("tokenizer"), source.path("tokenizer"))) {
            return Optional.of(new CacheProblem("its tokenizer was built with " + built.path("tokenizer")
                    + " but this run asks for " + source.path("tokenizer"), true));
        }
        for (String f : new String[] {"tokenizer.json", "tokens.bin"}) {
            Path p = out.resolve(f);
            JsonNode e = m.path("files").path(f);
            if (!Files.isRegularFile(p) || Files.size(p) != e.path("bytes").asLong(-1)
                    || !Sha256.of(p).equals(e.path("sha256").asText())) {
                return Optional.of(new CacheProblem(p + " is missing or does not match " + mf + " (damaged)", false));
            }
        }
        return Optional.empty();
    }

    private static boolean sameTexts(JsonNode a, JsonNode b) {
        if (!a.isArray() || a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) { // the content decides, not where the file lies
            if (a.get(i).path("bytes").asLong(-1) != b.get(i).path("bytes").asLong()
                    || !a.get(i).path("sha256").asText().equals(b.get(i).path("sha256").asText())) {
                return false;
            }
        }
        return true;
    }

    private static boolean sameTokenizer(JsonNode a, JsonNode b) {
        if (b.has("file")) {
            return a.has("file") && a.path("sha256").asText().equals(b.path("sha256").asText());
        }
        return a.equals(b);
    }

    private static String describe(JsonNode texts) {
        List<String> out = new ArrayList<>();
        for (JsonNode t : texts) {
            out.add(t.path("path").asText() + " (" + t.path("bytes").asLong() + " bytes, SHA-256 "
                    + t.path("sha256").asText().substring(0, Math.min(12, t.path("sha256").asText().length())) + "...)");
        }
        return out.isEmpty() ? "(none)" : String.join(", ", out);
    }

    /**
     * Loads tokenizer.json and tokens.bin from {@code o.out()} when the cache there was built from
     * the same texts and tokenizer settings, else builds them (see the class comment).
     */
    static Corpus prepare(PretrainOptions o, PrintStream log) throws IOException {
        Files.createDirectories(o.out());
        long bytes = 0;
        for (Path t : o.texts()) {
            bytes += Files.size(t);
        }
        Path mf = o.out().resolve(MANIFEST);
        Path tokJson = o.out().resolve("tokenizer.json");
        Path bin = o.out().resolve("tokens.bin");
        ObjectNode source = source(o);
        Optional<CacheProblem> problem = cacheProblem(o.out(), source);
        Tokenizer tok;
        if (problem.isEmpty()) {
            tok = Tokenizers.fromTokenizerJson(tokJson);
            log.println("tokenizer: reusing " + tokJson + " and " + bin + " (" + tok.vocabSize()
                    + " ids), built from the same texts and settings");
        } else {
            if (Files.exists(mf) || Files.exists(tokJson) || Files.exists(bin)) {
                log.println("rebuilding the tokenizer and tokens in " + o.out() + ": " + problem.get().reason());
            }
            Files.deleteIfExists(mf); // first: a rebuild that stops midway is never taken for a valid cache
            long t0 = System.nanoTime();
            if (o.tokenizer() != null) {
                AtomicFiles.write(tokJson, tmp -> Files.copy(o.tokenizer(), tmp, StandardCopyOption.REPLACE_EXISTING));
                tok = Tokenizers.fromTokenizerJson(tokJson);
                log.println("tokenizer: " + o.tokenizer() + " (" + tok.vocabSize() + " ids) copied to " + tokJson);
            } else {
                TrainedBpe bpe = BpeTrainer.trainFiles(o.texts(), new BpeTrainerConfig(o.vocab(), SPECIALS,
                        SplitPattern.CL100K, MIN_FREQUENCY, MAX_WORD_BYTES, 2));
                bpe.writeTokenizerJson(tokJson);
                tok = bpe.tokenizer();
                log.printf("tokenizer: trained byte-level BPE, %d ids, in %.1f s -> %s%n", tok.vocabSize(),
                        (System.nanoTime() - t0) / 1e9, tokJson);
            }
            t0 = System.nanoTime();
            TokenizerEncoder enc = new TokenizerEncoder(tok);
            Integer eot = tok.specialTokens().get(EOT);
            if (eot == null) {
                throw new IllegalArgumentException("the tokenizer needs the special token " + EOT + " as document separator");
            }
            try (TokenFile.Writer w = TokenFile.writer(bin, tok.vocabSize())) {
                for (Path t : o.texts()) {
                    // validated as UTF-8 before (or --allow-invalid-text: malformed bytes become U+FFFD)
                    w.append(enc.encode(new String(Files.readAllBytes(t), StandardCharsets.UTF_8)));
                    w.append(new int[] {eot});
                }
                w.commit();
            }
            ObjectNode m = JSON.createObjectNode();
            m.put("format", FORMAT);
            m.put("version", 1);
            m.set("source", source);
            ObjectNode files = m.putObject("files");
            for (Path f : List.of(tokJson, bin)) {
                ObjectNode e = files.putObject(f.getFileName().toString());
                e.put("bytes", Files.size(f));
                e.put("sha256", Sha256.of(f));
            }
            AtomicFiles.write(mf, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(m));
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
