package dev.tessera.rlhf;

import dev.tessera.attention.PositionIds;
import dev.tessera.attention.model.CausalLm;
import dev.tessera.core.Indexing;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Init;
import dev.tessera.nn.Linear;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A test-only causal LM small enough for fast tests: h_t = tanh((E[x_t] + P[t])·W + b), logits =
 * h·U. Each position sees only its own token and index (a bigram model with positions), which is
 * causal by construction and makes the incremental decoder trivial: it only keeps each sequence's
 * count of real tokens. Positions count real tokens only (padding gets its predecessor's
 * position), so a left-padded sequence gets the outputs it gets alone. Counts its forwards.
 */
public final class TinyLm implements CausalLm {
    private final Net net;
    private final int vocab, width, maxLen;
    public int hiddenCalls;
    public long rowsForwarded;
    public int decoderFeeds;
    /**
     * When set, the hidden states get a term that is 0 in the forward pass but whose gradient is
     * NaN (0 · d√x/dx at x = 0), so a loss stays finite while every gradient becomes NaN.
     */
    public boolean poisonGradients;

    public TinyLm(int vocab, int width, int maxLen, long seed, DataType dtype) {
        this(new Net(vocab, width, maxLen, new Rng(seed), dtype), vocab, width, maxLen);
    }

    private TinyLm(Net net, int vocab, int width, int maxLen) {
        this.net = net;
        this.vocab = vocab;
        this.width = width;
        this.maxLen = maxLen;
    }

    static final class Net extends Module {
        final Parameter wte, wpe;
        final Linear mix, out;

        Net(int vocab, int width, int maxLen, Rng rng, DataType dtype) {
            wte = registerParameter("wte", new Parameter(Init.normal(rng, dtype, 0.5, vocab, width)));
            wpe = registerParameter("wpe", new Parameter(Init.normal(rng, dtype, 0.5, maxLen, width)));
            mix = registerModule("mix", new Linear(width, width, true, rng, dtype));
            out = registerModule("out", new Linear(width, vocab, false, rng, dtype));
        }

        /** New Parameter objects over {@code source}'s arrays. */
        Net(Net source) {
            wte = registerParameter("wte", new Parameter(source.wte.data()));
            wpe = registerParameter("wpe", new Parameter(source.wpe.data()));
            mix = registerModule("mix", new Linear(new Parameter(source.mix.weight().data()),
                    new Parameter(source.mix.bias().data())));
            out = registerModule("out", new Linear(new Parameter(source.out.weight().data()), null));
        }
    }

    @Override
    public Module module() {
        return net;
    }

    @Override
    public int vocabSize() {
        return vocab;
    }

    @Override
    public int hiddenSize() {
        return width;
    }

    @Override
    public int contextLength() {
        return maxLen;
    }

    @Override
    public DataType dtype() {
        return net.wte.dtype();
    }

    @Override
    public Tensor hidden(INDArray ids, INDArray attentionMask) {
        hiddenCalls++;
        rowsForwarded += ids.size(0);
        return hiddenAt(ids, attentionMask, null);
    }

    /** ids (B, t) after {@code start} (B) real tokens per sequence (null: none) → (B, t, C). */
    private Tensor hiddenAt(INDArray ids, INDArray attentionMask, long[] start) {
        int b = (int) ids.size(0), t = (int) ids.size(1);
        INDArray pos = PositionIds.fromMask(attentionMask, b, t, start); // (B, t)
        long last = pos.maxNumber().longValue();
        if (last >= maxLen) {
            throw new IllegalArgumentException("TinyLm: position " + last + " exceeds contextLength " + maxLen);
        }
        Tensor tok = Indexing.embedding(net.wte, ids); // (B, t, C)
        Tensor p = Indexing.embedding(net.wpe, pos); // (B, t, C)
        Tensor h = net.mix.forward(tok.add(p)).tanh(); // (B, t, C)
        return poisonGradients ? h.add(h.sub(h).sqrt().mul(0.0)) : h;
    }

    @Override
    public Tensor logits(Tensor hidden) {
        return net.out.forward(hidden);
    }

    @Override
    public Decoder newDecoder(int batch, int capacity) {
        long[] lengths = new long[batch]; // real tokens so far per sequence
        return (ids, attentionMask) -> {
            decoderFeeds++;
            Tensor l = logits(hiddenAt(ids, attentionMask, lengths));
            int t = (int) ids.size(1);
            for (int b = 0; b < batch; b++) {
                for (int i = 0; i < t; i++) {
                    lengths[b] += attentionMask == null || attentionMask.getDouble(b, i) != 0 ? 1 : 0;
                }
            }
            return l;
        };
    }

    @Override
    public TinyLm copy() {
        TinyLm c = new TinyLm(vocab, width, maxLen, 0, net.wte.dtype());
        c.net.loadStateDict(net.stateDict(), true);
        return c;
    }

    /** A second model object over this model's parameters (not a copy): what a frozen reference must not be. */
    public TinyLm alias() {
        return new TinyLm(net, vocab, width, maxLen);
    }

    /** A model over a different {@link Module} whose parameters wrap this model's arrays (shared storage). */
    public TinyLm storageAlias() {
        return new TinyLm(new Net(net), vocab, width, maxLen);
    }

    /** Whether every parameter equals the other model's, bit for bit. */
    public boolean sameWeights(TinyLm other) {
        var a = net.stateDict();
        var b = other.net.stateDict();
        for (var e : a.entrySet()) {
            if (!e.getValue().equals(b.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }
}
