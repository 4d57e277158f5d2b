package dev.tessera.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Deterministic test texts: a mixed corpus and seeded random strings. */
final class TestTexts {
    private TestTexts() {
    }

    static final List<String> MIXED = List.of(
            "hello world",
            "The quick brown fox jumps over the lazy dog. It's 12:45, isn't it? They'll say we've won; I'd REALLY like THAT'S IT'LL DO.",
            "Don'T DON'T don't You'Re YOU'VE we'LL I'M he'D 'tis 'S 'ſ x'ſ it'ſ",
            "public static void main(String[] args) {\n    System.out.println(\"Hi\" + args.length);\n\treturn;\n}\n",
            "def f(x):\r\n    return [i**2 for i in range(10_000)]  # comment\r\n\r\n\r\n",
            "    leading spaces and trailing spaces     ",
            "\n\n\n\n   \n\t\t\n  x  \n y",
            "中文分词测试，这是一个句子。我们爱自然语言处理！",
            "日本語のテキスト、カタカナとひらがな。漢字も。",
            "한국어 텍스트입니다. 안녕하세요!",
            "مرحبا بالعالم، هذا نص عربي.",
            "नमस्ते दुनिया, यह हिंदी पाठ है।",
            "emoji 👩‍👩‍👧‍👦 family 👍🏽 thumbs 🏳️‍🌈 flag ❤️ heart",
            "combining e\u0301 a\u0300\u0316 Z\u0351\u0352 ñ n\u0303 \u0301\u0301x",
            "digits 1234567890 3.14159 1,000,000 ½ Ⅻ ٣٤٥ १२३",
            "                                                                        ",
            "x\u00a0y\u3000z\u2028w\u0085v\u000bu\u001cq",
            "ǅemal ǈubljana ʰello Ａｂｃ ÀÉÎÕÜ àéîõü ΑΒΓ αβγ ДОБРЫЙ добрый",
            "https://example.com/path/to/file?query=1&x=2 // comment /* block */ a/b//c\n//\n",
            "CamelCaseWord HTTPServer getHTTPResponseCode iPhone eBay MAKE'S",
            "a\r\nb\rc\n\r d \r\n\r\n",
            "<|endoftext|> is a special token, <|fim_prefix|> too",
            "");

    private static final String[] PIECES = {
            " ", " ", "  ", "\n", "\r\n", "\t", "\u00a0", "\u3000", "\u2003", "\u000b",
            "'", "'s", "'S", "'ll", "'LL", "'Ve", "'re", "'d", "'M", "'t", "'ſ",
            "a", "Z", "word", "Word", "WORD", "wOrD", "é", "É", "ǅ", "ʰ", "ß", "ﬁ",
            "0", "7", "42", "123456", "½", "Ⅻ", "٣", "१",
            ".", ",", "!", "?", "/", "//", "-", "_", "(", ")", "{", "}", "\"", "#", "$", "€", "©",
            "\u0301", "\u0300", "\u093f", "\u0902", "\u20dd",
            "中", "文", "日本", "カ", "ひ", "한", "국", "ع", "ر", "ب", "न", "म", "स्ते",
            "😀", "👩", "\u200d", "👧", "🏽", "\ufe0f", "𝐀", "𝐚", "𝟏", "𐐀", "𐐨",
            "\r", "\u2028", "\u0085", "\u001f", "\u0000", "\uffff", "\ufffd",
    };

    /** Random valid (no lone surrogates) strings mixing scripts, whitespace, punctuation, digits. */
    static List<String> random(long seed, int count, int maxPieces) {
        SplittableRandom r = new SplittableRandom(seed);
        List<String> out = new ArrayList<>(count);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < count; i++) {
            sb.setLength(0);
            int n = r.nextInt(maxPieces + 1);
            for (int j = 0; j < n; j++) {
                int mode = r.nextInt(10);
                if (mode < 8) {
                    sb.append(PIECES[r.nextInt(PIECES.length)]);
                } else {
                    int cp;
                    do {
                        cp = mode == 8 ? r.nextInt(0x3000) : r.nextInt(0x20000);
                    } while (Character.getType(cp) == Character.SURROGATE || !Character.isDefined(cp) && r.nextInt(4) != 0);
                    sb.appendCodePoint(cp);
                }
            }
            out.add(sb.toString());
        }
        return out;
    }

    /** A deterministic mixed corpus of about {@code chars} chars. */
    static String corpus(int chars) {
        StringBuilder sb = new StringBuilder(chars + 1000);
        List<String> rnd = random(7, 200, 30);
        int i = 0;
        while (sb.length() < chars) {
            sb.append(MIXED.get(i % MIXED.size())).append('\n');
            if (i % 3 == 0) {
                sb.append(rnd.get(i % rnd.size())).append(' ');
            }
            i++;
        }
        return sb.toString();
    }
}
