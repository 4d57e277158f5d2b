package dev.tessera.rlhf;

import dev.tessera.core.Indexing;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Init;
import dev.tessera.nn.Linear;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import dev.tessera.rlhf.model.CausalLm;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A test-only causal LM small enough for fast tests: h_t = tanh((E[x_t] + P[t])·W + b), logits =
 * h·U. Each position sees only its own token and index (a bigram model with positions), which is
 * causal by construction and makes the incremental decoder trivial. Counts its forwards.
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
    public Tensor hidden(INDArray ids) {
        hiddenCalls++;
        rowsForwarded += ids.size(0);
        return hiddenAt(ids, 0);
    }

    private Tensor hiddenAt(INDArray ids, int offset) {
        long b = ids.size(0), t = ids.size(1);
        Tensor tok = Indexing.embedding(net.wte, ids); // (B, T, C)
        int[] pos = new int[(int) (b * t)];
        for (int i = 0; i < pos.length; i++) {
            pos[i] = offset + (int) (i % t);
        }
        Tensor p = Indexing.embedding(net.wpe, Nd4j.createFromArray(pos).reshape(b, t)); // (B, T, C)
        Tensor h = net.mix.forward(tok.add(p)).tanh(); // (B, T, C)
        return poisonGradients ? h.add(h.sub(h).sqrt().mul(0.0)) : h;
    }

    @Override
    public Tensor logits(Tensor hidden) {
        return net.out.forward(hidden);
    }

    @Override
    public Decoder decoder(int batch) {
        return new Decoder() {
            int length;

            @Override
            public Tensor feed(INDArray ids) {
                decoderFeeds++;
                Tensor l = logits(hiddenAt(ids, length));
                length += (int) ids.size(1);
                return l;
            }

            @Override
            public int length() {
                return length;
            }
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
