package dev.tessera.tokenizer;

import java.text.Normalizer;
import java.util.Map;
import java.util.Set;

/**
 * A tokenizer.json {@code NFC} normalizer in front of a BPE tokenizer (Qwen 2 files). As in
 * Hugging Face, allowed special tokens are split out first and only the text between them is
 * normalised, so a special token followed by a combining mark (which NFC could compose with
 * its last character) is still found. Spans refer to the original text; the tokens of a run
 * that NFC changed all span that run.
 */
final class NfcTokenizer implements Tokenizer {
    private final BpeTokenizer inner;

    NfcTokenizer(BpeTokenizer inner) {
        this.inner = inner;
    }

    private static String nfc(String s) {
        if (s == null) {
            throw new IllegalArgumentException("text must not be null");
        }
        return Normalizer.isNormalized(s, Normalizer.Form.NFC) ? s : Normalizer.normalize(s, Normalizer.Form.NFC);
    }

    @Override
    public int[] encode(String text, Set<String> allowedSpecial) {
        if (allowedSpecial == null || allowedSpecial.isEmpty()) {
            return encodeOrdinary(text);
        }
        return inner.encodeNormalized(text, allowedSpecial, NfcTokenizer::nfc);
    }

    @Override
    public int[] encodeOrdinary(String text) {
        return inner.encodeOrdinary(nfc(text));
    }

    @Override
    public Encoded encodeWithSpans(String text, Set<String> allowedSpecial) {
        return inner.encodeWithSpans(text, allowedSpecial, NfcTokenizer::nfc);
    }

    @Override
    public String decode(int[] ids) {
        return inner.decode(ids);
    }

    @Override
    public String decodeLossy(int[] ids) {
        return inner.decodeLossy(ids);
    }

    @Override
    public byte[] decodeBytes(int[] ids) {
        return inner.decodeBytes(ids);
    }

    @Override
    public int vocabSize() {
        return inner.vocabSize();
    }

    @Override
    public Map<String, Integer> specialTokens() {
        return inner.specialTokens();
    }
}
