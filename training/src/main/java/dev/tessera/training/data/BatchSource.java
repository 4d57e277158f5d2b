package dev.tessera.training.data;

/**
 * An endless stream of token-row {@link Batch}es (inputs and aligned targets), the kind the
 * cross-entropy objective trains on.
 */
public interface BatchSource extends DataSource<Batch> {
    @Override
    Batch next();
}
