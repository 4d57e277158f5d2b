package dev.tessera.bench.tokenizer;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import dev.tessera.tokenizer.Tokenizer;
import dev.tessera.tokenizer.Tokenizers;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encode throughput, Tessera against jtokkit (the anchor), single thread, same text and
 * vocabulary in the same run. The text is a deterministic ~400 KB (UTF-8) mix of English
 * prose, Java and Python source, shell/roff-like manual text, Chinese, Japanese, Korean,
 * Arabic, Hindi, emoji and digits ({@link #TEXT_BYTES} bytes). Scores are operations per
 * second; MB/s = score x {@code TEXT_BYTES} / 1e6. Setup checks once that both sides
 * produce identical ids.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class TokenizerBenchmark {
    private String text;
    private Tokenizer r50k;
    private Tokenizer cl100k;
    private Tokenizer o200k;
    private Encoding jtR50k;
    private Encoding jtCl100k;
    private Encoding jtO200k;

    private static final String[] PARAGRAPHS = {
        "The quick brown fox jumps over the lazy dog. It's a sentence that's been used since the 1880s; "
                + "they'll keep using it, won't they? We've counted 12,345 uses in 2024 alone.\n\n",
        "public final class Example {\n    private static final int LIMIT = 4096;\n\n"
                + "    public static void main(String[] args) {\n        for (int i = 0; i < args.length; i++) {\n"
                + "            System.out.println(\"arg \" + i + \" = \" + args[i]);\n        }\n    }\n}\n",
        "def tokenize(text: str) -> list[int]:\n    \"\"\"Split text into tokens.\"\"\"\n"
                + "    return [ord(c) % 256 for c in text if not c.isspace()]\n\n\nif __name__ == '__main__':\n"
                + "    print(tokenize('hello world'))\n",
        ".TH LS 1 \"March 2024\" \"GNU coreutils 9.4\" \"User Commands\"\n.SH NAME\nls \\- list directory contents\n"
                + ".SH SYNOPSIS\n.B ls\n[\\fI\\,OPTION\\/\\fR]... [\\fI\\,FILE\\/\\fR]...\n.TP\n\\fB\\-a\\fR, \\fB\\-\\-all\\fR\n"
                + "do not ignore entries starting with .\n",
        "中文分词是自然语言处理中的一个基本问题，我们需要把句子切分成词语。",
        "日本語のテキストには、ひらがな、カタカナ、漢字が混在しています。",
        "한국어 문장은 띄어쓰기로 어절을 구분합니다. 안녕하세요!",
        "اللغة العربية تكتب من اليمين إلى اليسار، وهي لغة جميلة.",
        "हिंदी भारत की एक प्रमुख भाषा है, और यह देवनागरी लिपि में लिखी जाती है।",
        "Emoji: 👩‍👩‍👧‍👦 👍🏽 🏳️‍🌈 ❤️ — café naïve Ångström résumé\n",
        "    \n\t\tindented   text   with    runs of     spaces\r\n\r\n",
    };

    private static final String[] SYLLABLES = {
        "ka", "to", "ri", "mon", "el", "sta", "qu", "ver", "in", "ax", "pre", "lo", "gen", "th", "ion", "ul",
        "be", "dra", "sen", "or", "pha", "cl", "ex", "ne", "wy", "zu", "ing", "ed", "ly", "ment", "co", "de",
    };

    /** UTF-8 size of the benchmark text (declared after the tables: static initialisers run in order). */
    public static final int TEXT_BYTES = corpus().getBytes(StandardCharsets.UTF_8).length;

    /**
     * Deterministic ~400 KB mixed text: the paragraphs above interleaved with generated prose
     * (words built from random syllables, random capitalisation and punctuation), random
     * identifiers and numbers, and random CJK ideograph runs, so that the text is not a few
     * templates repeated (which would let any piece cache hit almost always).
     */
    static String corpus() {
        SplittableRandom r = new SplittableRandom(20240611);
        StringBuilder sb = new StringBuilder(420_000);
        int bytes = 0;
        while (bytes < 400_000) {
            int start = sb.length();
            switch (r.nextInt(4)) {
                case 0 -> sb.append(PARAGRAPHS[r.nextInt(PARAGRAPHS.length)]);
                case 1 -> {
                    int words = 8 + r.nextInt(20);
                    for (int w = 0; w < words; w++) {
                        StringBuilder word = new StringBuilder();
                        int syl = 1 + r.nextInt(4);
                        for (int s = 0; s < syl; s++) {
                            word.append(SYLLABLES[Math.min(r.nextInt(SYLLABLES.length), r.nextInt(SYLLABLES.length))]);
                        }
                        if (r.nextInt(8) == 0) {
                            word.setCharAt(0, Character.toUpperCase(word.charAt(0)));
                        }
                        sb.append(word).append(r.nextInt(10) == 0 ? ", " : " ");
                    }
                    sb.append(r.nextInt(3) == 0 ? "?\n" : ".\n");
                }
                case 2 -> {
                    sb.append("    int ").append(SYLLABLES[r.nextInt(SYLLABLES.length)])
                            .append(Character.toUpperCase(SYLLABLES[r.nextInt(SYLLABLES.length)].charAt(0)))
                            .append(SYLLABLES[r.nextInt(SYLLABLES.length)]).append('_').append(r.nextInt(1000))
                            .append(" = ").append(r.nextInt(1_000_000)).append(";\n");
                }
                default -> {
                    int n = 2 + r.nextInt(12);
                    for (int i = 0; i < n; i++) {
                        sb.append((char) (0x4E00 + r.nextInt(0x9FA5 - 0x4E00)));
                    }
                    sb.append(r.nextInt(2) == 0 ? "。" : "，");
                }
            }
            bytes += sb.substring(start).getBytes(StandardCharsets.UTF_8).length;
        }
        return sb.toString();
    }

    @Setup
    public void setup() {
        text = corpus();
        r50k = Tokenizers.r50kBase();
        cl100k = Tokenizers.cl100kBase();
        o200k = Tokenizers.o200kBase();
        EncodingRegistry reg = Encodings.newDefaultEncodingRegistry();
        jtR50k = reg.getEncoding(EncodingType.R50K_BASE);
        jtCl100k = reg.getEncoding(EncodingType.CL100K_BASE);
        jtO200k = reg.getEncoding(EncodingType.O200K_BASE);
        check("r50k", r50k, jtR50k);
        check("cl100k", cl100k, jtCl100k);
        check("o200k", o200k, jtO200k);
    }

    private void check(String name, Tokenizer ours, Encoding theirs) {
        if (!Arrays.equals(ours.encode(text), theirs.encodeOrdinary(text).toArray())) {
            throw new IllegalStateException(name + ": Tessera and jtokkit ids differ on the benchmark text");
        }
    }

    @Benchmark
    public int[] tessera_encodeR50k() {
        return r50k.encode(text);
    }

    @Benchmark
    public Object jtokkit_encodeR50k() {
        return jtR50k.encodeOrdinary(text);
    }

    @Benchmark
    public int[] tessera_encodeCl100k() {
        return cl100k.encode(text);
    }

    @Benchmark
    public Object jtokkit_encodeCl100k() {
        return jtCl100k.encodeOrdinary(text);
    }

    @Benchmark
    public int[] tessera_encodeO200k() {
        return o200k.encode(text);
    }

    @Benchmark
    public Object jtokkit_encodeO200k() {
        return jtO200k.encodeOrdinary(text);
    }
}
