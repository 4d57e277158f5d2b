package dev.tessera.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses and validates a safetensors header: the JSON that maps names to
 * {@code {dtype, shape, data_offsets}} plus an optional {@code __metadata__} string map. Every way
 * the header can disagree with itself or with the file is rejected here, before any data is read,
 * so a loader never trusts an offset it has not checked.
 */
final class SafeTensorsHeader {

    static final String METADATA_KEY = "__metadata__";
    /** Headers above this are rejected: a real header is kilobytes; a huge length is a corrupt or hostile file. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final Set<String> TENSOR_FIELDS = Set.of("dtype", "shape", "data_offsets");

    /** The validated header: tensors in data order, metadata in header order. */
    record Parsed(Map<String, SafeTensorInfo> tensors, Map<String, String> metadata) {}

    private SafeTensorsHeader() {}

    /**
     * @param header the header bytes (after the 8-byte length, spaces of padding included)
     * @param dataSize bytes after the header
     * @param source file name for messages
     */
    static Parsed parse(byte[] header, long dataSize, String source) throws SafeTensorsFormatException {
        String text = decodeUtf8(header, source);
        JsonNode root;
        try (JsonParser parser = JSON.getFactory().createParser(text)) {
            root = JSON.readTree(parser);
            rejectTrailingContent(parser, text, source);
        } catch (SafeTensorsFormatException e) {
            throw e;
        } catch (JsonProcessingException e) {
            String msg = e.getOriginalMessage();
            if (msg != null && msg.startsWith("Duplicate field")) {
                throw new SafeTensorsFormatException(source + ": duplicate name in the header: " + msg
                        + " (at " + e.getLocation() + ")", e);
            }
            throw new SafeTensorsFormatException(source + ": header is not valid JSON: " + msg, e);
        } catch (IOException e) {
            throw new SafeTensorsFormatException(source + ": header cannot be parsed: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new SafeTensorsFormatException(source + ": header must be a JSON object, got "
                    + (root == null ? "nothing" : root.getNodeType()));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<SafeTensorInfo> tensors = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> fields = root.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            if (f.getKey().equals(METADATA_KEY)) {
                readMetadata(f.getValue(), metadata, source);
            } else {
                tensors.add(readTensor(f.getKey(), f.getValue(), source));
            }
        }
        checkTiling(tensors, dataSize, source);
        Map<String, SafeTensorInfo> ordered = new LinkedHashMap<>();
        for (SafeTensorInfo t : tensors) {
            ordered.put(t.name(), t);
        }
        return new Parsed(Collections.unmodifiableMap(ordered), Collections.unmodifiableMap(metadata));
    }

    /**
     * Only JSON whitespace (the format's padding) may follow the header object: a second
     * object would describe tensors that this reader would otherwise silently ignore.
     */
    private static void rejectTrailingContent(JsonParser parser, String text, String source)
            throws SafeTensorsFormatException {
        long at = parser.getCurrentLocation().getCharOffset();
        boolean extra;
        try {
            extra = parser.nextToken() != null;
        } catch (IOException e) {
            extra = true;
        }
        if (extra) {
            int from = (int) Math.min(Math.max(at, 0), text.length());
            String rest = text.substring(from).strip();
            throw new SafeTensorsFormatException(source + ": unexpected content after the header's JSON object (at char "
                    + from + " of " + text.length() + "): '" + (rest.length() > 40 ? rest.substring(0, 40) + "..." : rest)
                    + "'; only spaces may follow it");
        }
    }

    private static String decodeUtf8(byte[] header, String source) throws SafeTensorsFormatException {
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(header);
        try {
            return dec.decode(in).toString();
        } catch (CharacterCodingException e) {
            throw new SafeTensorsFormatException(source + ": header is not valid UTF-8 (near byte " + in.position()
                    + " of the header): " + e);
        }
    }

    private static void readMetadata(JsonNode node, Map<String, String> out, String source) throws SafeTensorsFormatException {
        if (!node.isObject()) {
            throw new SafeTensorsFormatException(source + ": " + METADATA_KEY + " must be an object of strings, got "
                    + node.getNodeType());
        }
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new SafeTensorsFormatException(source + ": " + METADATA_KEY + " value of '" + e.getKey()
                        + "' must be a string, got " + e.getValue().getNodeType());
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
    }

    private static SafeTensorInfo readTensor(String name, JsonNode node, String source) throws SafeTensorsFormatException {
        String where = source + ": tensor '" + name + "'";
        if (!node.isObject()) {
            throw new SafeTensorsFormatException(where + ": entry must be an object {dtype, shape, data_offsets}, got "
                    + node.getNodeType());
        }
        ObjectNode o = (ObjectNode) node;
        Iterator<String> names = o.fieldNames();
        while (names.hasNext()) {
            String field = names.next();
            if (!TENSOR_FIELDS.contains(field)) {
                throw new SafeTensorsFormatException(where + ": unexpected field '" + field
                        + "' (expected dtype, shape, data_offsets)");
            }
        }
        JsonNode dtypeNode = o.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new SafeTensorsFormatException(where + ": missing or non-string dtype");
        }
        SafeTensorsDtype dtype = SafeTensorsDtype.fromHeader(dtypeNode.textValue());
        if (dtype == null) {
            throw new SafeTensorsFormatException(where + ": unknown or unsupported dtype '" + dtypeNode.textValue()
                    + "' (supported: F32, F64, F16, BF16, I32, I64)");
        }
        long[] shape = longs(o.get("shape"), -1, where, "shape");
        long[] offsets = longs(o.get("data_offsets"), 2, where, "data_offsets");
        long numel = 1;
        try {
            for (long s : shape) {
                numel = Math.multiplyExact(numel, s);
            }
            long expected = Math.multiplyExact(numel, (long) dtype.size());
            if (offsets[1] < offsets[0]) {
                throw new SafeTensorsFormatException(where + ": data_offsets [" + offsets[0] + ", " + offsets[1]
                        + "] end before they begin");
            }
            if (offsets[1] - offsets[0] != expected) {
                throw new SafeTensorsFormatException(where + ": data size " + (offsets[1] - offsets[0])
                        + " bytes (data_offsets [" + offsets[0] + ", " + offsets[1] + "]) does not match shape "
                        + Arrays.toString(shape) + " x " + dtype + " (" + dtype.size() + " bytes) = "
                        + expected + " bytes");
            }
        } catch (ArithmeticException e) {
            throw new SafeTensorsFormatException(where + ": shape " + Arrays.toString(shape)
                    + " has more bytes than fit in 64 bits");
        }
        return new SafeTensorInfo(name, dtype, shape, offsets[0], offsets[1]);
    }

    /** A JSON array of non-negative integers (of length {@code len} unless -1). */
    private static long[] longs(JsonNode node, int len, String where, String field) throws SafeTensorsFormatException {
        if (node == null || !node.isArray()) {
            throw new SafeTensorsFormatException(where + ": missing or non-array " + field);
        }
        ArrayNode a = (ArrayNode) node;
        if (len >= 0 && a.size() != len) {
            throw new SafeTensorsFormatException(where + ": " + field + " must have " + len + " entries, got " + a);
        }
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = a.get(i);
            if (!v.isIntegralNumber()) {
                throw new SafeTensorsFormatException(where + ": " + field + " entry " + i + " is not an integer: " + v);
            }
            if (!v.canConvertToLong()) {
                throw new SafeTensorsFormatException(where + ": " + field + " entry " + i + " is too large: " + v);
            }
            out[i] = v.longValue();
            if (out[i] < 0) {
                throw new SafeTensorsFormatException(where + ": " + field + " entry " + i + " is negative: " + v);
            }
        }
        return out;
    }

    /** The tensors' byte ranges must tile [0, dataSize) exactly: no overlap, no gap, nothing after. */
    private static void checkTiling(List<SafeTensorInfo> tensors, long dataSize, String source) throws SafeTensorsFormatException {
        for (SafeTensorInfo t : tensors) {
            if (t.end() > dataSize) {
                throw new SafeTensorsFormatException(source + ": tensor '" + t.name() + "': data_offsets [" + t.begin()
                        + ", " + t.end() + "] are out of range: the data section has " + dataSize
                        + " bytes (file truncated?)");
            }
        }
        tensors.sort(Comparator.comparingLong(SafeTensorInfo::begin).thenComparingLong(SafeTensorInfo::end));
        long pos = 0;
        SafeTensorInfo prev = null;
        for (SafeTensorInfo t : tensors) {
            if (t.begin() < pos) {
                throw new SafeTensorsFormatException(source + ": tensor '" + t.name() + "' [" + t.begin() + ", "
                        + t.end() + ") overlaps tensor '" + prev.name() + "' [" + prev.begin() + ", " + prev.end() + ")");
            }
            if (t.begin() > pos) {
                throw new SafeTensorsFormatException(source + ": gap of " + (t.begin() - pos) + " bytes before tensor '"
                        + t.name() + "' (data bytes [" + pos + ", " + t.begin() + ") belong to no tensor)");
            }
            pos = t.end();
            prev = t;
        }
        if (pos != dataSize) {
            throw new SafeTensorsFormatException(source + ": " + (dataSize - pos) + " trailing bytes after the last tensor"
                    + (prev == null ? "" : " '" + prev.name() + "'") + " (data section " + dataSize
                    + " bytes, tensors end at " + pos + ")");
        }
    }
}
