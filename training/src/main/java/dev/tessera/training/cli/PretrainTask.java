package dev.tessera.training.cli;

/** What {@link Pretrain} trains. */
public enum PretrainTask {
    /** GPT next-token prediction: the loss at position t is −log p(x_{t+1} | x_{≤t}). */
    GPT,
    /**
     * BERT masked-LM on {@link dev.tessera.attention.model.BertModel} (rotary positions and pre-LN
     * blocks by default): 15% of tokens selected (80/10/10), loss −log p(x_t | corrupted x) on those only.
     */
    BERT
}
