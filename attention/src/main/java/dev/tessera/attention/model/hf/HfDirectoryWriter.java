package dev.tessera.attention.model.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.io.AtomicFiles;
import dev.tessera.io.SafeTensors;
import dev.tessera.io.SafeTensorsDtype;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a model directory as {@code save_pretrained} does: the JSON files, and the weights as one
 * {@code model.safetensors} or, above the shard size, as {@code model-0000i-of-0000n.safetensors}
 * shards in parameter order plus {@code model.safetensors.index.json} ({@code metadata.total_size},
 * {@code weight_map}). Every file is written to a temporary file and fsynced before any is renamed
 * into place, so a failure leaves the directory's previous files as they were; afterwards the
 * weight files of a previous save with the other layout (or more shards) are removed, so that the
 * directory holds exactly one checkpoint.
 */
final class HfDirectoryWriter {
    private static final Logger LOG = LoggerFactory.getLogger(HfDirectoryWriter.class);

    private HfDirectoryWriter() {}

    /**
     * @param tensors Hugging Face names → arrays (any layout; written in their dtype), in the order
     *     the shards take them
     * @param jsonFiles file name → content, written after the weights
     * @param maxShardBytes the largest shard in bytes (a tensor larger than this gets a shard of its
     *     own); {@link Long#MAX_VALUE} for a single file
     */
    static void write(Path directory, Map<String, INDArray> tensors, Map<String, JsonNode> jsonFiles, long maxShardBytes)
            throws IOException {
        Path dir = directory.toAbsolutePath();
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("maxShardBytes must be > 0 (Long.MAX_VALUE: one file) but was "
                    + maxShardBytes);
        }
        Files.createDirectories(dir);
        List<Map<String, INDArray>> shards = split(tensors, maxShardBytes);
        Set<Path> stale = previousWeightFiles(dir);
        Map<Path, AtomicFiles.Content> files = new LinkedHashMap<>();
        Map<String, String> metadata = Map.of("format", "pt");
        if (shards.size() == 1) {
            files.put(dir.resolve(HfCheckpoint.SINGLE_FILE), tmp -> SafeTensors.write(tmp, shards.get(0), metadata));
        } else {
            ObjectNode index = HfJson.MAPPER.createObjectNode();
            index.putObject("metadata").put("total_size", bytes(tensors));
            ObjectNode weightMap = index.putObject("weight_map");
            for (int i = 0; i < shards.size(); i++) {
                String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
                Map<String, INDArray> shard = shards.get(i);
                files.put(dir.resolve(name), tmp -> SafeTensors.write(tmp, shard, metadata));
                shard.keySet().forEach(t -> weightMap.put(t, name));
            }
            files.put(dir.resolve(HfCheckpoint.INDEX_FILE), json(index));
        }
        for (Map.Entry<String, JsonNode> e : jsonFiles.entrySet()) {
            files.put(dir.resolve(e.getKey()), json(e.getValue()));
        }
        AtomicFiles.writeAll(files);
        stale.removeAll(files.keySet());
        for (Path p : stale) {
            Files.deleteIfExists(p);
            LOG.debug("removed {} of the previous checkpoint in {}", p.getFileName(), dir);
        }
    }

    private static AtomicFiles.Content json(JsonNode node) {
        return tmp -> Files.write(tmp, (HfJson.MAPPER.writeValueAsString(node) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Consecutive runs of tensors of at most {@code max} bytes each (one tensor alone when larger). */
    private static List<Map<String, INDArray>> split(Map<String, INDArray> tensors, long max) {
        List<Map<String, INDArray>> shards = new ArrayList<>();
        Map<String, INDArray> current = new LinkedHashMap<>();
        long size = 0;
        for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
            long b = bytes(e.getValue());
            if (!current.isEmpty() && size + b > max) {
                shards.add(current);
                current = new LinkedHashMap<>();
                size = 0;
            }
            current.put(e.getKey(), e.getValue());
            size += b;
        }
        shards.add(current);
        return shards;
    }

    private static long bytes(Map<String, INDArray> tensors) {
        long total = 0;
        for (INDArray a : tensors.values()) {
            total += bytes(a);
        }
        return total;
    }

    private static long bytes(INDArray a) {
        return a.length() * SafeTensorsDtype.of(a.dataType()).size();
    }

    /** The weight files a checkpoint already in {@code dir} consists of (best effort: an unreadable index lists none). */
    private static Set<Path> previousWeightFiles(Path dir) {
        Set<Path> out = new HashSet<>();
        out.add(dir.resolve(HfCheckpoint.SINGLE_FILE).toAbsolutePath());
        Path index = dir.resolve(HfCheckpoint.INDEX_FILE);
        out.add(index.toAbsolutePath());
        if (Files.isRegularFile(index)) {
            try {
                JsonNode map = HfJson.read(index).get("weight_map");
                if (map != null) {
                    for (JsonNode shard : map) {
                        String name = shard.asText();
                        if (!name.isEmpty() && !name.contains("/") && !name.contains("\\") && !name.startsWith(".")) {
                            out.add(dir.resolve(name).toAbsolutePath());
                        }
                    }
                }
            } catch (IOException e) {
                LOG.warn("{}: cannot read the previous {} ({}); its shards are left in place", dir,
                        HfCheckpoint.INDEX_FILE, e.getMessage());
            }
        }
        return out;
    }
}
