package dev.tessera.attention.model.hf;

import dev.tessera.attention.model.DecoderModel;
import dev.tessera.io.SafeTensorInfo;
import dev.tessera.io.SafeTensorsDtype;
import dev.tessera.nn.Parameter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves weights between a Tessera model and the Hugging Face tensor layout of a {@link WeightLayout}.
 * Loading checks every name, shape and dtype from the headers before reading any data, then
 * reads, casts and (where the layout says so) transposes one tensor at a time.
 */
final class HfWeights {
    private static final Logger LOG = LoggerFactory.getLogger(HfWeights.class);
    private static final Set<SafeTensorsDtype> FLOATS =
            Set.of(SafeTensorsDtype.F16, SafeTensorsDtype.BF16, SafeTensorsDtype.F32, SafeTensorsDtype.F64);

    private HfWeights() {}

    /**
     * Loads {@code ckpt} into {@code model}.
     *
     * @param tied whether the model's LM head is its token embedding: a {@code lm_head.weight} in
     *     the files is then accepted only when it equals the embedding
     * @throws HfFormatException listing every missing, unexpected, wrongly shaped or non-float
     *     tensor (with its file), or a tied head that differs from the embedding
     */
    static void load(DecoderModel model, HfCheckpoint ckpt, WeightLayout layout, boolean tied, Path dir)
            throws IOException {
        Map<String, String> fileNameOf = new LinkedHashMap<>(); // canonical HF name → name in the file
        for (String name : ckpt.names()) {
            String canonical = layout.canonical(name);
            if (canonical == null) {
                LOG.debug("{}: skipping buffer '{}'", dir, name);
                continue;
            }
            String before = fileNameOf.put(canonical, name);
            if (before != null) {
                throw new HfFormatException(dir + ": tensors '" + before + "' and '" + name + "' are both "
                        + layout.architecture() + "'s '" + canonical + "'");
            }
        }
        Map<String, Parameter> params = model.namedParameters();
        Map<Parameter, HfTensor> sourceOf = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        Set<String> unexpected = new LinkedHashSet<>(fileNameOf.keySet());
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            HfTensor t = layout.toHf(e.getKey());
            unexpected.remove(t.name());
            String fileName = fileNameOf.get(t.name());
            if (fileName == null) {
                missing.add(t.name());
                continue;
            }
            SafeTensorInfo info = ckpt.info(fileName);
            long[] want = e.getValue().shape();
            if (t.transposed()) {
                want = new long[] {want[1], want[0]};
            }
            if (!Arrays.equals(want, info.shape())) {
                wrong.add("'" + fileName + "' in " + ckpt.path(fileName).getFileName() + " has shape "
                        + Arrays.toString(info.shape()) + " but config.json implies " + Arrays.toString(want));
            } else if (!FLOATS.contains(info.dtype())) {
                wrong.add("'" + fileName + "' in " + ckpt.path(fileName).getFileName() + " has dtype " + info.dtype()
                        + " but weights must be F16, BF16, F32 or F64");
            }
            sourceOf.put(e.getValue(), new HfTensor(fileName, t.transposed()));
        }
        String head = tied && unexpected.remove(layout.headName()) ? fileNameOf.get(layout.headName()) : null;
        if (!missing.isEmpty() || !unexpected.isEmpty() || !wrong.isEmpty()) {
            StringBuilder msg = new StringBuilder(dir + ": the weights do not match a " + layout.architecture()
                    + " model with this config.json:");
            if (!missing.isEmpty()) {
                msg.append(" missing ").append(missing).append(';');
            }
            if (!unexpected.isEmpty()) {
                List<String> where = new ArrayList<>();
                for (String u : unexpected) {
                    where.add(fileNameOf.get(u) + " (in " + ckpt.path(fileNameOf.get(u)).getFileName() + ")");
                }
                msg.append(" unexpected ").append(where).append(';');
            }
            for (String w : wrong) {
                msg.append(' ').append(w).append(';');
            }
            msg.setLength(msg.length() - 1);
            throw new HfFormatException(msg.toString());
        }
        for (Map.Entry<Parameter, HfTensor> e : sourceOf.entrySet()) {
            INDArray v = ckpt.read(e.getValue().name());
            if (e.getValue().transposed()) {
                v = v.transpose(); // (out, in) → (in, out)
            }
            INDArray target = e.getKey().data();
            target.assign(v.dataType() == target.dataType() ? v : v.castTo(target.dataType()));
        }
        if (head != null) {
            checkTiedHead(ckpt, head, fileNameOf.get(layout.embeddingName()), dir);
        }
        LOG.debug("{}: loaded {} {} tensors", dir, sourceOf.size(), layout.architecture());
    }

    private static void checkTiedHead(HfCheckpoint ckpt, String head, String embedding, Path dir) throws IOException {
        INDArray h = ckpt.read(head).castTo(DataType.DOUBLE);
        INDArray w = ckpt.read(embedding).castTo(DataType.DOUBLE);
        if (!Arrays.equals(h.shape(), w.shape()) || !h.equalsWithEps(w, 0.0)) { // exactly equal
            throw new HfFormatException(dir + ": '" + head + "' (in " + ckpt.path(head).getFileName() + ") differs from '"
                    + embedding + "', but config.json ties the LM head to the token embedding "
                    + "(tie_word_embeddings); set it to false if the head is separate");
        }
    }

    /** The model's parameters under their Hugging Face names and in the Hugging Face layout (views, not copies). */
    static Map<String, INDArray> toHf(DecoderModel model, WeightLayout layout) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            HfTensor t = layout.toHf(e.getKey());
            INDArray v = e.getValue().data();
            out.put(t.name(), t.transposed() ? v.transpose() : v);
        }
        return out;
    }
}
