package dev.tessera.rlhf.sft;

import dev.tessera.attention.model.CausalLm;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.rlhf.chat.ChatTemplate;
import dev.tessera.rlhf.data.SequenceBatch;
import dev.tessera.rlhf.data.ShuffledBatches;
import dev.tessera.training.loop.BatchLoss;
import dev.tessera.training.loop.MetricSum;
import dev.tessera.training.loop.Objective;
import dev.tessera.training.loss.CausalLmLoss;
import dev.tessera.training.loss.CrossEntropyOptions;
import dev.tessera.training.loss.LossResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Supervised fine-tuning on prompt/response pairs, as an objective of the training module's
 * {@code Trainer}: next-token cross-entropy on the response tokens (and the end marker) only, the
 * prompt being context. Conversations are laid out by the {@link ChatTemplate} that generation
 * uses, so the model learns to answer after [assistant] and to stop with [end]. The count is the
 * batch's response tokens; the metric {@code accuracy} is the fraction of them predicted by arg-max.
 */
public final class SftObjective implements Objective<SequenceBatch> {
    private final CausalLm model;

    public SftObjective(CausalLm model) {
        if (model == null) {
            throw new IllegalArgumentException("SftObjective: model must not be null");
        }
        this.model = model;
    }

    /** One prompt and its demonstrated response (content tokens, without chat markers or the end marker). */
    public record Example(int[] prompt, int[] response) {
        public Example {
            if (prompt == null || response == null) {
                throw new IllegalArgumentException("SftObjective.Example: prompt and response must not be null");
            }
        }
    }

    /**
     * Shuffled batches of {@code batchSize} examples laid out by {@code chat}, in epochs drawn by {@code rng}.
     */
    public static ShuffledBatches<Example, SequenceBatch> batches(List<Example> examples, ChatTemplate chat, int batchSize,
            Rng rng) {
        return new ShuffledBatches<>(examples, batchSize, rng, part -> {
            List<int[]> prompts = new ArrayList<>(part.size());
            List<int[]> responses = new ArrayList<>(part.size());
            for (Example e : part) {
                prompts.add(e.prompt());
                responses.add(e.response());
            }
            return SequenceBatch.of(chat, prompts, responses);
        });
    }

    @Override
    public long count(SequenceBatch batch) {
        // position 0 is never a response token (a prompt has at least one token), so every
        // response token is some position's next-token target
        long n = 0;
        for (float m : batch.responseMask().castTo(DataType.FLOAT).dup('c').data().asFloat()) {
            if (m != 0) {
                n++;
            }
        }
        return n;
    }

    @Override
    public BatchLoss compute(SequenceBatch batch, double normalizer) {
        Tensor logits = model.forward(batch.ids()); // (B, T, V)
        LossResult r = CausalLmLoss.loss(logits, responseTargets(batch), CrossEntropyOptions.defaults(), normalizer);
        return new BatchLoss(r.loss(), r.nllSum(), r.validTokens(),
                Map.of("accuracy", new MetricSum(r.correct(), r.validTokens())));
    }

    /**
     * The SFT loss of a batch: mean over response tokens of −log p(token | everything before).
     * Prompt and padding positions are relabelled to the ignore index, so they are context only.
     */
    public static LossResult loss(CausalLm model, SequenceBatch batch) {
        Tensor logits = model.forward(batch.ids()); // (B, T, V)
        return CausalLmLoss.loss(logits, responseTargets(batch), CrossEntropyOptions.defaults());
    }

    /** ids with every non-response position replaced by the ignore index (B, T). */
    public static INDArray responseTargets(SequenceBatch batch) {
        int[] ids = batch.ids().dup('c').data().asInt();
        float[] mask = batch.responseMask().castTo(DataType.FLOAT).dup('c').data().asFloat();
        for (int i = 0; i < ids.length; i++) {
            if (mask[i] == 0) {
                ids[i] = CrossEntropyOptions.DEFAULT_IGNORE_INDEX;
            }
        }
        return Nd4j.createFromArray(ids).reshape(batch.ids().shape());
    }
}
