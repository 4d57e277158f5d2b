package dev.tessera.attention.model.hf;

import java.io.IOException;

/**
 * A Hugging Face model directory that Tessera cannot load as it stands: a missing or invalid
 * {@code config.json} key, a missing, unexpected or wrongly shaped tensor, an inconsistent shard
 * index, or an architecture feature Tessera's models do not have. The message names the file and
 * the key or tensor.
 */
public final class HfFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public HfFormatException(String message) {
        super(message);
    }

    public HfFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
