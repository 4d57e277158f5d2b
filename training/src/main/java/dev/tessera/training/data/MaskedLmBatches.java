package dev.tessera.training.data;

import dev.tessera.core.Rng;
import dev.tessera.training.loss.MaskedLm;
import dev.tessera.training.loss.MaskingConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Masked-LM batches: windows from an inner source, corrupted by {@link MaskedLm#mask} with a
 * seeded generator; targets are the original ids at selected positions and the ignore index
 * elsewhere. The position is the inner source's followed by the masking generator's state.
 */
public final class MaskedLmBatches implements BatchSource {
    private final BatchSource windows;
    private final MaskingConfig masking;
    private final int ignoreIndex;
    private final Rng rng;

    public MaskedLmBatches(BatchSource windows, MaskingConfig masking, int ignoreIndex, long seed) {
        if (windows == null || masking == null) {
            throw new IllegalArgumentException("windows and masking must not be null");
        }
        this.windows = windows;
        this.masking = masking;
        this.ignoreIndex = ignoreIndex;
        this.rng = new Rng(seed);
    }

    @Override
    public Batch next() {
        return corrupt(windows.next(), masking, ignoreIndex, rng);
    }

    /** A masked-LM batch from a window batch's inputs. */
    public static Batch corrupt(Batch window, MaskingConfig masking, int ignoreIndex, Rng rng) {
        MaskedLm.Masked m = MaskedLm.mask(window.inputs(), masking, ignoreIndex, rng);
        return new Batch(m.inputs(), m.labels(), window.attentionMask());
    }

    /** Fixed masked validation batches (masked once with their own seed, so every evaluation sees the same ones). */
    public static List<Batch> fixed(List<Batch> windows, MaskingConfig masking, int ignoreIndex, long seed) {
        Rng r = new Rng(seed);
        List<Batch> out = new ArrayList<>();
        for (Batch b : windows) {
            out.add(corrupt(b, masking, ignoreIndex, r));
        }
        return out;
    }

    @Override
    public long[] position() {
        long[] inner = windows.position();
        long[] s = rng.state();
        long[] p = Arrays.copyOf(inner, inner.length + s.length + 1);
        System.arraycopy(s, 0, p, inner.length, s.length);
        p[p.length - 1] = inner.length;
        return p;
    }

    @Override
    public void setPosition(long[] position) {
        if (position == null || position.length < 7) {
            throw new IllegalArgumentException("position must hold the inner position, 6 rng longs and a length but was "
                    + Arrays.toString(position));
        }
        int inner = (int) position[position.length - 1];
        if (inner != position.length - 7) {
            throw new IllegalArgumentException("position has " + position.length + " longs but says the inner part has " + inner);
        }
        windows.setPosition(Arrays.copyOf(position, inner));
        rng.setState(Arrays.copyOfRange(position, inner, inner + 6));
    }
}
