package dev.tessera.rlhf.pipeline;

import dev.tessera.training.data.DataSource;
import java.util.function.ToLongFunction;

/**
 * A data source that counts the tokens of the batches it hands out, for the progress display's
 * tokens per second: the trainer counts what its objective averages over (response tokens,
 * groups, pairs), while {@link RecipeListener} reports every token a step forwards.
 */
final class TokenCount<B> implements DataSource<B> {
    private final DataSource<B> source;
    private final ToLongFunction<B> tokens;
    private long drawn;

    TokenCount(DataSource<B> source, ToLongFunction<B> tokens) {
        this.source = source;
        this.tokens = tokens;
    }

    @Override
    public B next() {
        B b = source.next();
        drawn += tokens.applyAsLong(b);
        return b;
    }

    /** Tokens of the batches drawn since the last call. */
    long take() {
        long n = drawn;
        drawn = 0;
        return n;
    }

    @Override
    public long[] position() {
        return source.position();
    }

    @Override
    public void setPosition(long[] position) {
        source.setPosition(position);
    }
}
