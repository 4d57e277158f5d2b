package dev.tessera.rlhf.sft;

import dev.tessera.core.Tensor;
import dev.tessera.nn.Parameter;
import dev.tessera.rlhf.data.SequenceBatch;
import dev.tessera.rlhf.model.CausalLm;
import dev.tessera.rlhf.model.TrainSettings;
import dev.tessera.training.loss.CausalLmLoss;
import dev.tessera.training.loss.CrossEntropyOptions;
import dev.tessera.training.loss.LossResult;
import dev.tessera.training.optim.AdamW;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Supervised fine-tuning on prompt/response pairs: next-token cross-entropy on the response
 * tokens (and the end marker) only, the prompt being context. Conversations are laid out by the
 * {@link ChatFormat} that generation uses, so the model learns to answer after
 * [assistant] and to stop with [end].
 */
public final class SftTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(SftTrainer.class);
    private final CausalLm model;
    private final ChatFormat chat;
    private final TrainSettings settings;
    private final AdamW optimizer;
    private final Map<String, Parameter> params;
    private long steps;
    private long skipped;

    public SftTrainer(CausalLm model, ChatFormat chat, TrainSettings settings) {
        if (model == null || chat == null || settings == null) {
            throw new IllegalArgumentException("SftTrainer: model, chat and settings must not be null");
        }
        this.model = model;
        this.chat = chat;
        this.settings = settings;
        this.params = model.trainableParameters(); // the adapters alone for a LoRA model
        this.optimizer = settings.optimizer(params);
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

    /**
     * One optimiser step on prompt/response pairs (response tokens without the end marker). A
     * non-finite loss or gradient is handled as {@link TrainSettings#onNonFinite()} says: an
     * {@link IllegalStateException} naming the step, or a skipped step (the returned loss then
     * shows the non-finite value).
     */
    public LossResult step(List<int[]> prompts, List<int[]> responses) {
        model.module().train(true);
        SequenceBatch batch = SequenceBatch.of(chat, prompts, responses);
        optimizer.zeroGrad();
        LossResult r = loss(model, batch);
        double loss = r.loss().item();
        if (Double.isFinite(loss)) {
            r.loss().backward();
        }
        if (!settings.clipForStep("SFT step " + (steps + skipped + 1), loss, params)) {
            skipped++;
            return r;
        }
        optimizer.step();
        steps++;
        if (LOG.isDebugEnabled()) {
            LOG.debug("sft step {} loss {}", steps, loss);
        }
        return r;
    }

    /** Optimiser steps taken. */
    public long steps() {
        return steps;
    }

    /** Steps skipped for a non-finite loss or gradient ({@code OnNonFinite.SKIP_STEP}). */
    public long skippedSteps() {
        return skipped;
    }
}
