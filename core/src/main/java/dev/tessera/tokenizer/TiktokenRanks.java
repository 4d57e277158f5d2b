package dev.tessera.tokenizer;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/** Reads and writes tiktoken rank files: one line per token, {@code base64(bytes) rank}. */
final class TiktokenRanks {
    private TiktokenRanks() {
    }

    /** Tokens by rank ({@code null} for ranks not in the file). */
    static byte[][] read(InputStream in, String source) throws IOException {
        List<byte[]> byRank = new ArrayList<>(1 << 17);
        Base64.Decoder b64 = Base64.getDecoder();
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII), 1 << 16);
        String line;
        int lineNo = 0;
        while ((line = r.readLine()) != null) {
            lineNo++;
            if (line.isEmpty()) {
                continue;
            }
            int sp = line.indexOf(' ');
            if (sp <= 0 || sp == line.length() - 1) {
                throw new IOException(source + " line " + lineNo + ": expected 'base64 rank', got '" + abbreviate(line) + "'");
            }
            byte[] tok;
            int rank;
            try {
                tok = b64.decode(line.substring(0, sp));
                rank = Integer.parseInt(line.substring(sp + 1).trim());
            } catch (IllegalArgumentException e) {
                throw new IOException(source + " line " + lineNo + ": " + e.getMessage() + " in '" + abbreviate(line) + "'", e);
            }
            if (rank < 0 || rank > TokenizerJson.MAX_TOKEN_ID) {
                throw new IOException(source + " line " + lineNo + ": rank must be in [0, " + TokenizerJson.MAX_TOKEN_ID
                        + "], got " + rank);
            }
            if (tok.length == 0) {
                throw new IOException(source + " line " + lineNo + ": token of rank " + rank + " has no bytes");
            }
            while (byRank.size() <= rank) {
                byRank.add(null);
            }
            if (byRank.get(rank) != null) {
                throw new IOException(source + " line " + lineNo + ": duplicate rank " + rank);
            }
            byRank.set(rank, tok);
        }
        return byRank.toArray(new byte[0][]);
    }

    static void write(byte[][] byRank, OutputStream out) throws IOException {
        Base64.Encoder b64 = Base64.getEncoder();
        BufferedWriter w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.US_ASCII), 1 << 16);
        for (int rank = 0; rank < byRank.length; rank++) {
            if (byRank[rank] != null) {
                w.write(b64.encodeToString(byRank[rank]));
                w.write(' ');
                w.write(Integer.toString(rank));
                w.write('\n');
            }
        }
        w.flush();
    }

    /** Builds a tokenizer whose ids are the ranks, plus special tokens at the given ids. */
    static BpeTokenizer build(byte[][] byRank, PieceScanner scanner, Map<String, Integer> specials) {
        if (specials == null) {
            throw new IllegalArgumentException("specialTokens must not be null (use an empty map)");
        }
        for (Map.Entry<String, Integer> e : specials.entrySet()) {
            if (e.getKey() == null || e.getKey().isEmpty() || e.getValue() == null) {
                throw new IllegalArgumentException("special tokens must be a non-empty string and an id, got "
                        + e.getKey() + " -> " + e.getValue());
            }
        }
        int size = byRank.length;
        for (int id : specials.values()) {
            if (id < 0 || id > TokenizerJson.MAX_TOKEN_ID) {
                throw new IllegalArgumentException("special token ids must be in [0, " + TokenizerJson.MAX_TOKEN_ID
                        + "], got " + id);
            }
            size = Math.max(size, id + 1);
        }
        byte[][] tokens = Arrays.copyOf(byRank, size);
        boolean[] special = new boolean[size];
        int[] ranks = new int[size];
        for (int i = 0; i < size; i++) {
            ranks[i] = i;
        }
        for (Map.Entry<String, Integer> e : specials.entrySet()) {
            int id = e.getValue();
            if (id < byRank.length && byRank[id] != null) {
                throw new IllegalArgumentException("special token " + e.getKey() + " has id " + id
                        + " which is already the rank of an ordinary token");
            }
            tokens[id] = e.getKey().getBytes(StandardCharsets.UTF_8);
            special[id] = true;
            ranks[id] = BpeVocab.NO_RANK;
        }
        return new BpeTokenizer(new BpeVocab(tokens, ranks, special, true), scanner, specials, false);
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }
}
