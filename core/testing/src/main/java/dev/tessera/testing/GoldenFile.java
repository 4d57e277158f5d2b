package dev.tessera.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads golden values written by a committed PyTorch generator script. Format (JSON):
 * <pre>{"format": "tessera-golden", "version": 1, "generator": "...", "torch": "1.13.1",
 *  "tensors": {"name": {"shape": [2, 3], "data": [..row-major float64..]}, ...}}</pre>
 * The version is checked, so a generator change that alters the format fails loudly.
 */
public final class GoldenFile {
    /** The format version this reader understands. */
    public static final int VERSION = 1;
    private final JsonNode tensors;
    private final String source;

    private GoldenFile(JsonNode root, String source) {
        this.source = source;
        if (!"tessera-golden".equals(root.path("format").asText())) {
            throw new IllegalStateException(source + ": not a tessera-golden file (format = " + root.path("format") + ")");
        }
        int version = root.path("version").asInt(-1);
        if (version != VERSION) {
            throw new IllegalStateException(source + ": golden format version " + version + ", expected " + VERSION);
        }
        this.tensors = root.path("tensors");
    }

    /** Loads a golden file from the test classpath, e.g. {@code "/golden/core_ops.json"}. */
    public static GoldenFile load(String resource) {
        try (InputStream in = GoldenFile.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("golden file " + resource + " is not on the classpath");
            }
            return new GoldenFile(new ObjectMapper().readTree(in), resource);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The named tensor as a float64 array. */
    public INDArray get(String name) {
        JsonNode t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException(source + " has no tensor '" + name + "'");
        }
        List<Long> shape = new ArrayList<>();
        for (JsonNode d : t.path("shape")) {
            shape.add(d.asLong());
        }
        JsonNode data = t.path("data");
        double[] v = new double[data.size()];
        int i = 0;
        for (Iterator<JsonNode> it = data.elements(); it.hasNext(); ) {
            JsonNode n = it.next();
            v[i++] = n.isTextual() ? Double.parseDouble(n.asText()) : n.asDouble();
        }
        long[] s = shape.stream().mapToLong(Long::longValue).toArray();
        return Nd4j.create(v, s, DataType.DOUBLE);
    }

    /** Whether the file has a tensor with this name. */
    public boolean has(String name) {
        return tensors.has(name);
    }
}
