package dev.tessera.attention.model.hf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.io.SafeTensorInfo;
import dev.tessera.io.SafeTensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The weights of a Hugging Face model directory, opened lazily: either one
 * {@code model.safetensors} or the shards listed by {@code model.safetensors.index.json}. Opening
 * reads the headers only; {@link #read(String)} memory-maps and copies one tensor at a time, so a
 * model is loaded tensor by tensor without the checkpoint ever being in memory as a whole.
 *
 * <p>The index must be consistent with its shards: every {@code weight_map} entry names a shard
 * that exists and holds that tensor, and no shard holds a tensor the index does not list (or that
 * another shard also holds). A directory with both a single file and an index is ambiguous and
 * refused.
 *
 * <pre>{@code
 * try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
 *     INDArray w = ckpt.read("model.embed_tokens.weight"); // (V, C)
 * }
 * }</pre>
 */
public final class HfCheckpoint implements AutoCloseable {
    /** The single-file weights name. */
    public static final String SINGLE_FILE = "model.safetensors";
    /** The shard index name. */
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final Map<String, SafeTensorsFile> fileOf; // tensor name → open shard, in index order
    private final Map<String, Path> pathOf;
    private final List<SafeTensorsFile> open;

    private HfCheckpoint(Map<String, SafeTensorsFile> fileOf, Map<String, Path> pathOf, List<SafeTensorsFile> open) {
        this.fileOf = fileOf;
        this.pathOf = pathOf;
        this.open = open;
    }

    /**
     * Opens the weights in {@code dir} and validates the index against the shard headers.
     *
     * @throws HfFormatException if there are no weights, both layouts, or an inconsistent index
     * @throws dev.tessera.io.SafeTensorsFormatException if a shard is malformed
     */
    public static HfCheckpoint open(Path dir) throws IOException {
        Path single = dir.resolve(SINGLE_FILE);
        Path index = dir.resolve(INDEX_FILE);
        boolean hasSingle = Files.isRegularFile(single);
        boolean hasIndex = Files.isRegularFile(index);
        if (hasSingle && hasIndex) {
            throw new HfFormatException(dir + ": has both " + SINGLE_FILE + " and " + INDEX_FILE
                    + "; remove the one that is stale");
        }
        if (!hasSingle && !hasIndex) {
            throw new HfFormatException(dir + ": no weights: neither " + SINGLE_FILE + " nor " + INDEX_FILE
                    + " exists (only safetensors checkpoints are read; convert pytorch_model.bin first)");
        }
        List<SafeTensorsFile> opened = new ArrayList<>();
        try {
            Map<String, SafeTensorsFile> fileOf = new LinkedHashMap<>();
            Map<String, Path> pathOf = new LinkedHashMap<>();
            if (hasSingle) {
                SafeTensorsFile f = SafeTensorsFile.open(single);
                opened.add(f);
                for (String name : f.names()) {
                    fileOf.put(name, f);
                    pathOf.put(name, single);
                }
            } else {
                openShards(dir, index, opened, fileOf, pathOf);
            }
            return new HfCheckpoint(fileOf, pathOf, opened);
        } catch (IOException | RuntimeException e) {
            for (SafeTensorsFile f : opened) {
                f.close();
            }
            throw e;
        }
    }

    private static void openShards(Path dir, Path index, List<SafeTensorsFile> opened, Map<String, SafeTensorsFile> fileOf,
            Map<String, Path> pathOf) throws IOException {
        HfJson json = HfJson.read(index);
        JsonNode map = json.get("weight_map");
        if (map == null || !map.isObject() || map.size() == 0) {
            throw new HfFormatException(index + ": missing or empty 'weight_map' (an object of tensor name → shard file)");
        }
        Map<String, SafeTensorsFile> shards = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new HfFormatException(index + ": weight_map entry '" + e.getKey() + "' must be a file name but was "
                        + e.getValue());
            }
            String shardName = e.getValue().textValue();
            if (shardName.isEmpty() || shardName.contains("/") || shardName.contains("\\") || shardName.equals(".")
                    || shardName.equals("..")) {
                throw new HfFormatException(index + ": weight_map entry '" + e.getKey() + "' names '" + shardName
                        + "', which is not a file in " + dir);
            }
            Path shardPath = dir.resolve(shardName);
            SafeTensorsFile shard = shards.get(shardName);
            if (shard == null) {
                if (!Files.isRegularFile(shardPath)) {
                    throw new HfFormatException(index + ": shard '" + shardName + "' (for tensor '" + e.getKey()
                            + "') does not exist");
                }
                shard = SafeTensorsFile.open(shardPath);
                opened.add(shard);
                shards.put(shardName, shard);
            }
            if (!shard.contains(e.getKey())) {
                throw new HfFormatException(index + ": tensor '" + e.getKey() + "' is mapped to shard '" + shardName
                        + "', which does not contain it");
            }
            fileOf.put(e.getKey(), shard);
            pathOf.put(e.getKey(), shardPath);
        }
        for (Map.Entry<String, SafeTensorsFile> s : shards.entrySet()) {
            for (String name : s.getValue().names()) {
                if (fileOf.get(name) != s.getValue()) {
                    throw new HfFormatException(index + ": shard '" + s.getKey() + "' holds tensor '" + name
                            + "', which the index " + (fileOf.containsKey(name) ? "maps to another shard" : "does not list"));
                }
            }
        }
    }

    /** Tensor names, in index (or file) order. */
    public Set<String> names() {
        return Collections.unmodifiableSet(fileOf.keySet());
    }

    /** Whether the checkpoint holds {@code name}. */
    public boolean contains(String name) {
        return fileOf.containsKey(name);
    }

    /** The header entry (dtype, shape) of {@code name}, without reading its data. */
    public SafeTensorInfo info(String name) {
        return file(name).infos().get(name);
    }

    /** The file that holds {@code name}. */
    public Path path(String name) {
        file(name);
        return pathOf.get(name);
    }

    /** Reads one tensor (F16/BF16/F32 as FLOAT, F64 as DOUBLE; see {@link SafeTensorsFile#get}). */
    public INDArray read(String name) throws IOException {
        return file(name).get(name);
    }

    private SafeTensorsFile file(String name) {
        SafeTensorsFile f = fileOf.get(name);
        if (f == null) {
            throw new IllegalArgumentException("the checkpoint has no tensor '" + name + "'");
        }
        return f;
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (SafeTensorsFile f : open) {
            try {
                f.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
