package dev.tessera.io;

import java.util.Arrays;

/**
 * One tensor's header entry.
 *
 * @param name the tensor's name, e.g. {@code h.0.attn.c_attn.weight}
 * @param dtype its stored element type
 * @param shape its shape ({@code []} for a scalar; a 0 makes it empty)
 * @param begin first byte, relative to the end of the header
 * @param end one past the last byte, relative to the end of the header
 */
public record SafeTensorInfo(String name, SafeTensorsDtype dtype, long[] shape, long begin, long end) {

    public SafeTensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements (1 for a scalar). */
    public long numel() {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return n;
    }

    /** Bytes of data, {@code end - begin}. */
    public long byteLength() {
        return end - begin;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SafeTensorInfo t && name.equals(t.name) && dtype == t.dtype
                && Arrays.equals(shape, t.shape) && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
    }
}
