package dev.tessera.training;

import dev.tessera.training.data.Batch;
import dev.tessera.training.data.BatchSource;
import java.util.List;

/** Cycles through fixed batches; the position is the index. */
public final class ListSource implements BatchSource {
    private final List<Batch> batches;
    private long index;

    public ListSource(List<Batch> batches) {
        this.batches = List.copyOf(batches);
    }

    @Override
    public Batch next() {
        return batches.get((int) (index++ % batches.size()));
    }

    @Override
    public long[] position() {
        return new long[] {index};
    }

    @Override
    public void setPosition(long[] position) {
        index = position[0];
    }
}
