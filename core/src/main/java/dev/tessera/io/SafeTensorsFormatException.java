package dev.tessera.io;

import java.io.IOException;

/** A safetensors file that breaks the format; the message names the problem and, where there is one, the tensor. */
public final class SafeTensorsFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    /** @param message what is wrong, e.g. {@code "tensor 'h.0.attn.c_attn.weight': data_offsets [0, 96] ..."} */
    public SafeTensorsFormatException(String message) {
        super(message);
    }

    /** @param message what is wrong; @param cause the parser's exception */
    public SafeTensorsFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
