package dev.tessera.attention.model.hf;

import static dev.tessera.attention.model.hf.HfGoldenTest.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.attention.RopeConfig;
import dev.tessera.attention.RopeScaling;
import dev.tessera.attention.model.DecoderModel;
import dev.tessera.attention.model.GptConfig;
import dev.tessera.attention.model.GptModel;
import dev.tessera.attention.model.LlamaConfig;
import dev.tessera.attention.model.LlamaModel;
import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import dev.tessera.io.SafeTensors;
import dev.tessera.io.SafeTensorsDtype;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Saving, sharding and the errors for directories that do not fit. */
class HfModelsTest {
    @TempDir
    Path tmp;

    @Test
    void shardedAndSingleFileLoadsAgreeAndSaveThenLoadIsBitIdentical() throws Exception {
        for (String name : new String[] {"gpt2-tiny", "llama-tiny", "qwen2-tiny", "mistral-tiny"}) {
            for (DataType dtype : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
                HfModel<? extends DecoderModel> sharded = HfModels.load(fixture(name), dtype);
                Path single = tmp.resolve(name + "-" + dtype + "-single");
                HfModels.save(sharded.model(), sharded.specialTokens(), single, Long.MAX_VALUE);
                assertTrue(Files.isRegularFile(single.resolve("model.safetensors")));
                assertFalse(Files.exists(single.resolve("model.safetensors.index.json")));
                HfModel<? extends DecoderModel> back = HfModels.load(single, dtype);
                assertBitIdentical(sharded.model(), back.model());
                assertEquals(sharded.specialTokens(), back.specialTokens());

                Path resharded = tmp.resolve(name + "-" + dtype + "-sharded");
                HfModels.save(back.model(), back.specialTokens(), resharded, 4096);
                long shards;
                try (Stream<Path> files = Files.list(resharded)) {
                    shards = files.filter(p -> p.getFileName().toString().matches("model-\\d{5}-of-\\d{5}\\.safetensors"))
                            .count();
                }
                assertTrue(shards > 2, name + ": expected several 4 KiB shards but found " + shards);
                assertBitIdentical(sharded.model(), HfModels.load(resharded, dtype).model());
            }
        }
    }

    @Test
    void savingTwiceWritesTheSameBytes() throws Exception {
        HfModel<LlamaModel> m = HfModels.loadLlama(fixture("llama-tiny"), DataType.FLOAT);
        HfModels.save(m.model(), tmp.resolve("a"));
        HfModels.save(HfModels.loadLlama(tmp.resolve("a"), DataType.FLOAT).model(), tmp.resolve("b"));
        assertArrayEquals(Files.readAllBytes(tmp.resolve("a/model.safetensors")),
                Files.readAllBytes(tmp.resolve("b/model.safetensors")));
        assertArrayEquals(Files.readAllBytes(tmp.resolve("a/config.json")), Files.readAllBytes(tmp.resolve("b/config.json")));
    }

    @Test
    void savedLayoutUsesHuggingFaceNamesAndShapes() throws Exception {
        LlamaModel model = new LlamaModel(LlamaConfig.tiny(), new Rng(3), DataType.FLOAT);
        HfModels.save(model, tmp);
        Map<String, INDArray> t = SafeTensors.read(tmp.resolve("model.safetensors")).tensors();
        LlamaConfig c = LlamaConfig.tiny();
        int kv = c.nKvHead() * c.nEmbd() / c.nHead();
        assertArrayEquals(new long[] {kv, c.nEmbd()}, t.get("model.layers.1.self_attn.k_proj.weight").shape()); // (out, in)
        assertArrayEquals(new long[] {c.nEmbd(), c.intermediateSize()}, t.get("model.layers.0.mlp.down_proj.weight").shape());
        assertArrayEquals(new long[] {c.vocabSize(), c.nEmbd()}, t.get("lm_head.weight").shape());
        assertEquals(model.namedParameters().get("layers.0.attn.q_proj.weight").data().transpose(),
                t.get("model.layers.0.self_attn.q_proj.weight"));
        assertEquals(3 + 9 * c.nLayer(), t.size());
        ObjectNode config = HfJson.read(tmp.resolve("config.json")).root();
        assertEquals("llama", config.get("model_type").asText());
        assertEquals(c.nKvHead(), config.get("num_key_value_heads").asInt());
        assertFalse(Files.exists(tmp.resolve("generation_config.json")), "no special tokens, no generation_config.json");
    }

    @Test
    void tiedMistralWithSlidingWindowAndLinearRopeRoundTrips() throws Exception {
        LlamaConfig c = new LlamaConfig(48, 32, 16, 2, 4, 1, 24, 1e-5, new RopeConfig(500_000, RopeScaling.LINEAR, 2), 8, true);
        LlamaModel model = new LlamaModel(c, new Rng(5), DataType.DOUBLE);
        HfSpecialTokens special = new HfSpecialTokens(OptionalInt.empty(), List.of(7, 9), OptionalInt.of(3));
        HfModels.save(model, special, tmp, Long.MAX_VALUE);
        assertFalse(SafeTensors.read(tmp.resolve("model.safetensors")).tensors().containsKey("lm_head.weight"), "tied");
        HfModel<? extends DecoderModel> back = HfModels.load(tmp, DataType.DOUBLE);
        assertEquals("mistral", back.modelType());
        assertEquals(c, ((LlamaModel) back.model()).config());
        assertEquals(special, back.specialTokens());
        assertBitIdentical(model, back.model());
    }

    @Test
    void qwen2SavesItsQkvBiasesUnderTheirHuggingFaceNames() throws Exception {
        HfModel<LlamaModel> m = HfModels.loadLlama(fixture("qwen2-tiny"), DataType.FLOAT);
        HfModels.save(m.model(), m.specialTokens(), tmp, Long.MAX_VALUE);
        Map<String, INDArray> saved = SafeTensors.read(tmp.resolve("model.safetensors")).tensors();
        Map<String, INDArray> original = SafeTensors.read(fixture("qwen2-tiny").resolve("model.safetensors")).tensors();
        assertEquals(original.keySet(), saved.keySet());
        for (String k : original.keySet()) {
            assertTrue(original.get(k).equalsWithEps(saved.get(k), 0.0), k);
        }
        ObjectNode config = HfJson.read(tmp.resolve("config.json")).root();
        assertEquals("qwen2", config.get("model_type").asText());
        assertEquals(new HfSpecialTokens(OptionalInt.of(5), List.of(6), OptionalInt.empty()), m.specialTokens());
    }

    @Test
    void savingOverTheOtherLayoutLeavesOneCheckpoint() throws Exception {
        GptModel model = new GptModel(GptConfig.tiny(), new Rng(1), DataType.FLOAT);
        HfModels.save(model, HfSpecialTokens.none(), tmp, 2048);
        assertTrue(Files.exists(tmp.resolve("model.safetensors.index.json")));
        HfModels.save(model, tmp);
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of("config.json", "model.safetensors"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        HfModels.save(model, HfSpecialTokens.none(), tmp, 2048);
        assertFalse(Files.exists(tmp.resolve("model.safetensors")));
        assertBitIdentical(model, HfModels.load(tmp, DataType.FLOAT).model());
    }

    @Test
    void gpt2AcceptsATiedLmHeadAndRejectsADifferentOne() throws Exception {
        GptModel model = new GptModel(GptConfig.tiny(), new Rng(2), DataType.FLOAT);
        HfModels.save(model, tmp);
        Map<String, INDArray> t = new LinkedHashMap<>(SafeTensors.read(tmp.resolve("model.safetensors")).tensors());
        t.put("lm_head.weight", t.get("wte.weight").dup());
        t.put("h.0.attn.bias", Nd4j.ones(DataType.FLOAT, 1, 1, 32, 32)); // causal-mask buffer of older exports
        t.put("h.1.attn.masked_bias", Nd4j.scalar(-1e4f));
        SafeTensors.write(tmp.resolve("model.safetensors"), t, Map.of());
        assertBitIdentical(model, HfModels.load(tmp, DataType.FLOAT).model());
        t.put("lm_head.weight", t.get("wte.weight").add(1));
        SafeTensors.write(tmp.resolve("model.safetensors"), t, Map.of());
        assertMessage(load(tmp), "lm_head.weight", "tie_word_embeddings");
    }

    @Test
    void llamaSkipsTheRotaryBufferOfOlderExports() throws Exception {
        LlamaModel model = new LlamaModel(LlamaConfig.tiny(), new Rng(7), DataType.FLOAT);
        HfModels.save(model, tmp);
        Map<String, INDArray> t = new LinkedHashMap<>(SafeTensors.read(tmp.resolve("model.safetensors")).tensors());
        t.put("model.layers.0.self_attn.rotary_emb.inv_freq", Nd4j.ones(DataType.FLOAT, 2));
        SafeTensors.write(tmp.resolve("model.safetensors"), t, Map.of());
        assertBitIdentical(model, HfModels.load(tmp, DataType.FLOAT).model());
    }

    @Test
    void halfPrecisionFilesAreCastExactly() throws Exception {
        LlamaModel model = new LlamaModel(LlamaConfig.tiny(), new Rng(6), DataType.FLOAT);
        HfModels.save(model, tmp);
        Map<String, INDArray> t = SafeTensors.read(tmp.resolve("model.safetensors")).tensors();
        Map<String, SafeTensorsDtype> asBf16 = new LinkedHashMap<>();
        t.keySet().forEach(k -> asBf16.put(k, SafeTensorsDtype.BF16));
        SafeTensors.write(tmp.resolve("model.safetensors"), t, Map.of(), asBf16);
        LlamaModel back = HfModels.loadLlama(tmp, DataType.DOUBLE).model();
        INDArray want = model.namedParameters().get("layers.0.mlp.up_proj.weight").data();
        INDArray got = back.namedParameters().get("layers.0.mlp.up_proj.weight").data();
        assertEquals(DataType.DOUBLE, got.dataType());
        // BF16 keeps 8 significant bits
        assertTrue(want.castTo(DataType.DOUBLE).sub(got).amaxNumber().doubleValue()
                <= Math.pow(2, -8) * want.amaxNumber().doubleValue());
    }

    // ---------------------------------------------------------------- errors name the file and the key or tensor

    @Test
    void missingOrInvalidConfigKeysAreNamed() throws Exception {
        assertMessage(load(editConfig("llama-tiny", c -> c.remove("hidden_size"))), "config.json", "'hidden_size'");
        assertMessage(load(editConfig("llama-tiny", c -> c.put("num_key_value_heads", 3))), "config.json",
                "'num_key_value_heads' (3)");
        assertMessage(load(editConfig("llama-tiny", c -> c.put("rms_norm_eps", "small"))), "'rms_norm_eps'", "number");
        assertMessage(load(editConfig("gpt2-tiny", c -> c.remove("n_positions"))), "config.json", "'n_positions'");
        assertMessage(load(editConfig("gpt2-tiny", c -> c.put("activation_function", "relu"))), "'activation_function'");
        assertMessage(load(editConfig("llama-tiny", c -> c.put("attention_bias", true))), "'attention_bias'");
        assertMessage(load(editConfig("llama-tiny", c -> c.put("hidden_act", "gelu"))), "'hidden_act'");
        assertMessage(load(editConfig("llama-tiny", c -> ((ObjectNode) c.get("rope_scaling")).put("rope_type", "yarn"))),
                "'rope_scaling'", "yarn");
        assertMessage(load(editConfig("llama-tiny", c -> ((ObjectNode) c.get("rope_scaling"))
                .remove("low_freq_factor"))), "'rope_scaling.low_freq_factor'");
        assertMessage(load(editConfig("qwen2-tiny", c -> c.put("use_sliding_window", true))), "'use_sliding_window'",
                "max_window_layers");
        assertMessage(load(editConfig("llama-tiny", c -> c.put("model_type", "bert"))), "model_type", "bert");
        assertMessage(load(editConfig("llama-tiny", c -> c.put("sliding_window", 16))), "'sliding_window'");
    }

    @Test
    void missingUnexpectedAndWronglyShapedTensorsAreNamedWithTheirFile() throws Exception {
        Path dir = copy("llama-tiny", "missing");
        rewriteShard(dir, "model-00002-of-00002.safetensors", t -> t.remove("model.norm.weight"), true);
        assertMessage(load(dir), "missing [model.norm.weight]");

        dir = copy("llama-tiny", "unexpected");
        rewriteShard(dir, "model-00002-of-00002.safetensors",
                t -> t.put("model.layers.1.self_attn.q_norm.weight", Nd4j.ones(DataType.FLOAT, 8)), true);
        assertMessage(load(dir), "unexpected [model.layers.1.self_attn.q_norm.weight (in model-00002-of-00002.safetensors)]");

        dir = copy("llama-tiny", "shape");
        rewriteShard(dir, "model-00001-of-00002.safetensors",
                t -> t.put("model.layers.0.self_attn.k_proj.weight", Nd4j.zeros(DataType.FLOAT, 32, 32)), false);
        assertMessage(load(dir), "'model.layers.0.self_attn.k_proj.weight' in model-00001-of-00002.safetensors",
                "[32, 32]", "[16, 32]");

        dir = copy("gpt2-tiny", "gpt2-missing");
        rewriteShard(dir, "model-00001-of-00002.safetensors", t -> t.remove("transformer.h.0.attn.c_attn.bias"), true);
        assertMessage(load(dir), "missing [h.0.attn.c_attn.bias]");
    }

    @Test
    void inconsistentShardIndexesAreNamed() throws Exception {
        Path dir = copy("llama-tiny", "no-shard");
        Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
        assertMessage(load(dir), "model-00002-of-00002.safetensors", "does not exist");

        dir = copy("llama-tiny", "unlisted");
        ObjectNode index = HfJson.read(dir.resolve("model.safetensors.index.json")).root();
        ((ObjectNode) index.get("weight_map")).remove("model.norm.weight");
        Files.writeString(dir.resolve("model.safetensors.index.json"), HfJson.MAPPER.writeValueAsString(index));
        assertMessage(load(dir), "'model.norm.weight'", "does not list");

        dir = copy("llama-tiny", "both");
        HfModels.save(HfModels.load(dir, DataType.FLOAT).model(), tmp.resolve("single"));
        Files.copy(tmp.resolve("single/model.safetensors"), dir.resolve("model.safetensors"));
        assertMessage(load(dir), "model.safetensors", "model.safetensors.index.json");

        assertMessage(load(tmp.resolve("nowhere")), "not a directory");
    }

    // ---------------------------------------------------------------- helpers

    private static void assertBitIdentical(DecoderModel a, DecoderModel b) {
        Map<String, INDArray> sa = a.stateDict();
        Map<String, INDArray> sb = b.stateDict();
        assertEquals(sa.keySet(), sb.keySet());
        for (String k : sa.keySet()) {
            assertEquals(sa.get(k).dataType(), sb.get(k).dataType(), k);
            assertTrue(sa.get(k).equalsWithEps(sb.get(k), 0.0), k + " differs");
        }
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            INDArray ids = Nd4j.createFromArray(new int[][] {{1, 5, 2, 7}, {3, 3, 0, 4}});
            assertTrue(a.forward(ids).data().equalsWithEps(b.forward(ids).data(), 0.0), "logits differ");
        }
    }

    private interface Load {
        Object run() throws IOException;
    }

    private static Load load(Path dir) {
        return () -> HfModels.load(dir, DataType.FLOAT);
    }

    private static void assertMessage(Load load, String... parts) {
        IOException e = assertThrows(IOException.class, load::run);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message should contain \"" + p + "\": " + e.getMessage());
        }
    }

    private Path copy(String fixture, String as) throws Exception {
        Path dir = tmp.resolve(as);
        Files.createDirectories(dir);
        try (Stream<Path> files = Files.list(fixture(fixture))) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        return dir;
    }

    private Path editConfig(String fixture, Consumer<ObjectNode> edit) throws Exception {
        Path dir = copy(fixture, fixture + "-" + System.nanoTime());
        ObjectNode c = HfJson.read(dir.resolve("config.json")).root();
        edit.accept(c);
        Files.writeString(dir.resolve("config.json"), HfJson.MAPPER.writeValueAsString(c));
        return dir;
    }

    /** Rewrites one shard; with {@code reindex}, the index is rebuilt to match. */
    private static void rewriteShard(Path dir, String shard, Consumer<Map<String, INDArray>> edit, boolean reindex)
            throws IOException {
        Map<String, INDArray> t = new LinkedHashMap<>(SafeTensors.read(dir.resolve(shard)).tensors());
        edit.accept(t);
        SafeTensors.write(dir.resolve(shard), t, Map.of("format", "pt"));
        if (reindex) {
            Path indexFile = dir.resolve("model.safetensors.index.json");
            ObjectNode index = HfJson.read(indexFile).root();
            ObjectNode map = (ObjectNode) index.get("weight_map");
            List<String> stale = new java.util.ArrayList<>();
            map.fields().forEachRemaining(e -> {
                if (e.getValue().asText().equals(shard) && !t.containsKey(e.getKey())) {
                    stale.add(e.getKey());
                }
            });
            stale.forEach(map::remove);
            t.keySet().forEach(k -> map.put(k, shard));
            Files.writeString(indexFile, HfJson.MAPPER.writeValueAsString(index));
        }
    }
}
