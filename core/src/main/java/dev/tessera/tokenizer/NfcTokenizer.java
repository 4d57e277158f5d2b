package dev.tessera.tokenizer;

import java.text.Normalizer;
import java.util.Map;
import java.util.Set;

/**
 * A tokenizer.json {@code NFC} normalizer in front of a BPE tokenizer (Qwen 2 files). Spans
 * refer to the normalised text, which equals the input for text already in NFC.
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
        return inner.encode(nfc(text), allowedSpecial);
    }

    @Override
    public int[] encodeOrdinary(String text) {
        return inner.encodeOrdinary(nfc(text));
    }

    @Override
    public Encoded encodeWithSpans(String text, Set<String> allowedSpecial) {
        return inner.encodeWithSpans(nfc(text), allowedSpecial);
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
