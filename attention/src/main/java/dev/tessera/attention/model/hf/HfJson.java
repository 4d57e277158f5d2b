package dev.tessera.attention.model.hf;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Typed reads of the JSON files in a model directory, each failure naming the file and the key
 * with what was expected and what was found. Duplicate keys are errors (two values for one
 * setting would otherwise be resolved silently).
 */
final class HfJson {
    static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private final Path file;
    private final ObjectNode root;

    private HfJson(Path file, ObjectNode root) {
        this.file = file;
        this.root = root;
    }

    /** Reads {@code file}, which must hold a JSON object. */
    static HfJson read(Path file) throws IOException {
        JsonNode node;
        try {
            node = MAPPER.readTree(Files.readAllBytes(file));
        } catch (JsonProcessingException e) {
            throw new HfFormatException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new HfFormatException(file + ": expected a JSON object but found "
                    + (node == null ? "an empty file" : node.getNodeType()));
        }
        return new HfJson(file, (ObjectNode) node);
    }

    Path file() {
        return file;
    }

    ObjectNode root() {
        return root;
    }

    /** Whether {@code key} is present and not JSON null. */
    boolean has(String key) {
        return root.hasNonNull(key);
    }

    JsonNode get(String key) {
        return root.get(key);
    }

    int requiredInt(String key) throws HfFormatException {
        if (!has(key)) {
            throw new HfFormatException(file + ": missing required key '" + key + "' (an integer)");
        }
        return intValue(key, root.get(key));
    }

    int optionalInt(String key, int fallback) throws HfFormatException {
        return has(key) ? intValue(key, root.get(key)) : fallback;
    }

    /** A positive integer, or {@code fallback} when absent or null. */
    int positiveInt(String key, int fallback) throws HfFormatException {
        int v = optionalInt(key, fallback);
        if (v <= 0) {
            throw new HfFormatException(file + ": key '" + key + "' must be a positive integer but was " + v);
        }
        return v;
    }

    int requiredPositiveInt(String key) throws HfFormatException {
        int v = requiredInt(key);
        if (v <= 0) {
            throw new HfFormatException(file + ": key '" + key + "' must be a positive integer but was " + v);
        }
        return v;
    }

    private int intValue(String key, JsonNode v) throws HfFormatException {
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new HfFormatException(file + ": key '" + key + "' must be an integer but was " + v);
        }
        return v.intValue();
    }

    double requiredDouble(String key) throws HfFormatException {
        if (!has(key)) {
            throw new HfFormatException(file + ": missing required key '" + key + "' (a number)");
        }
        return doubleValue(file, key, root.get(key));
    }

    double optionalDouble(String key, double fallback) throws HfFormatException {
        return has(key) ? doubleValue(file, key, root.get(key)) : fallback;
    }

    static double doubleValue(Path file, String key, JsonNode v) throws HfFormatException {
        if (v == null || !v.isNumber()) {
            throw new HfFormatException(file + ": key '" + key + "' must be a number but was " + v);
        }
        return v.doubleValue();
    }

    boolean optionalBoolean(String key, boolean fallback) throws HfFormatException {
        if (!has(key)) {
            return fallback;
        }
        JsonNode v = root.get(key);
        if (!v.isBoolean()) {
            throw new HfFormatException(file + ": key '" + key + "' must be true or false but was " + v);
        }
        return v.booleanValue();
    }

    /** A string value, or null when absent or JSON null. */
    String optionalString(String key) throws HfFormatException {
        if (!has(key)) {
            return null;
        }
        JsonNode v = root.get(key);
        if (!v.isTextual()) {
            throw new HfFormatException(file + ": key '" + key + "' must be a string but was " + v);
        }
        return v.textValue();
    }

    /** Refuses a setting Tessera's model does not implement unless it has the one supported value. */
    void requireAbsentOr(String key, Object supported, String why) throws HfFormatException {
        if (!has(key)) {
            return;
        }
        JsonNode v = root.get(key);
        boolean ok = supported instanceof Boolean b ? v.isBoolean() && v.booleanValue() == b
                : supported instanceof String s ? v.isTextual() && v.textValue().equals(s)
                : supported instanceof Integer i && v.isIntegralNumber() && v.canConvertToInt() && v.intValue() == i;
        if (!ok) {
            throw new HfFormatException(file + ": key '" + key + "' is " + v + " but Tessera supports only " + supported
                    + " (" + why + ")");
        }
    }
}
