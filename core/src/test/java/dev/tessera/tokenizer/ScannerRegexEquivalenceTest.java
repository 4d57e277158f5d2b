package dev.tessera.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The hand-written scanners split exactly like the regexes they implement, evaluated by
 * java.util.regex with UNICODE_CHARACTER_CLASS (the same backtracking semantics as tiktoken's
 * fancy-regex for these patterns).
 */
class ScannerRegexEquivalenceTest {

    static List<String> byScanner(PieceScanner s, String text) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            int e = s.next(text, i, text.length());
            out.add(text.substring(i, e));
            i = e;
        }
        return out;
    }

    static List<String> byRegex(Pattern p, String text) {
        List<String> out = new ArrayList<>();
        Matcher m = p.matcher(text);
        int last = 0;
        while (m.find()) {
            if (m.start() != last) {
                out.add("<GAP>" + text.substring(last, m.start()));
            }
            out.add(m.group());
            last = m.end();
        }
        if (last != text.length()) {
            out.add("<GAP>" + text.substring(last));
        }
        return out;
    }

    private static void check(SplitPattern sp) {
        Pattern p = Pattern.compile(sp.regex(), Pattern.UNICODE_CHARACTER_CLASS);
        List<String> texts = new ArrayList<>(TestTexts.MIXED);
        texts.addAll(TestTexts.random(1234 + sp.ordinal(), 6000, 25));
        for (String t : texts) {
            assertEquals(byRegex(p, t), byScanner(sp.scanner(), t), () -> sp + " on " + escape(t));
        }
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder("\"");
        s.codePoints().forEach(c -> {
            if (c >= 0x20 && c < 0x7f) {
                sb.append((char) c);
            } else {
                sb.append(String.format("\\u{%x}", c));
            }
        });
        return sb.append('"').toString();
    }

    @Test
    void gpt2() {
        check(SplitPattern.GPT2);
    }

    @Test
    void cl100k() {
        check(SplitPattern.CL100K);
    }

    @Test
    void qwen2() {
        check(SplitPattern.QWEN2);
    }

    @Test
    void o200k() {
        check(SplitPattern.O200K);
    }

    @Test
    void alternativeSpellingsSplitTheSame() {
        for (SplitPattern sp : SplitPattern.values()) {
            assertEquals(sp, SplitPattern.forRegex(sp.regex()));
        }
        String llama3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
        assertEquals(SplitPattern.CL100K, SplitPattern.forRegex(llama3));
        Pattern p = Pattern.compile(llama3, Pattern.UNICODE_CHARACTER_CLASS);
        for (String t : TestTexts.random(99, 2000, 25)) {
            assertEquals(byRegex(p, t), byScanner(SplitPattern.CL100K.scanner(), t), () -> escape(t));
        }
    }
}
