package dev.tessera.io;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * The element types Tessera reads and writes in safetensors files, by their header names.
 *
 * <p>F16 and BF16 are storage formats only: they load as float32 arrays (exact, every half value
 * is a float) and are written from float32 arrays with round-to-nearest-even, as PyTorch's
 * {@code .half()} / {@code .bfloat16()} do, so models can be kept at half the size on disk
 * while all arithmetic stays in float32.
 */
public enum SafeTensorsDtype {
    /** IEEE binary32, loads as {@link DataType#FLOAT}. */
    F32(4, DataType.FLOAT),
    /** IEEE binary64, loads as {@link DataType#DOUBLE}. */
    F64(8, DataType.DOUBLE),
    /** IEEE binary16, loads as {@link DataType#FLOAT}. */
    F16(2, DataType.FLOAT),
    /** bfloat16 (the upper half of a binary32), loads as {@link DataType#FLOAT}. */
    BF16(2, DataType.FLOAT),
    /** Signed 32-bit integers, loads as {@link DataType#INT}. */
    I32(4, DataType.INT),
    /** Signed 64-bit integers, loads as {@link DataType#LONG}. */
    I64(8, DataType.LONG);

    private final int size;
    private final DataType loadsAs;

    SafeTensorsDtype(int size, DataType loadsAs) {
        this.size = size;
        this.loadsAs = loadsAs;
    }

    /**
     * Position in the reference implementation's {@code Dtype} enum (Rust {@code safetensors}
     * 0.4+: ..., F16, BF16, I32, U32, F32, F64, I64, U64), which orders tensors in a file: a higher
     * position is written first. Only the relative order of these six matters here.
     */
    int referenceOrder() {
        return switch (this) {
            case F16 -> 0;
            case BF16 -> 1;
            case I32 -> 2;
            case F32 -> 3;
            case F64 -> 4;
            case I64 -> 5;
        };
    }

    /** Bytes per element. */
    public int size() {
        return size;
    }

    /** The ND4J type an array of this dtype loads as. */
    public DataType loadsAs() {
        return loadsAs;
    }

    /** The header name, or null when Tessera does not support it (U8, BOOL, F8_E4M3, ...). */
    static SafeTensorsDtype fromHeader(String name) {
        for (SafeTensorsDtype d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        return null;
    }

    /**
     * The dtype an array is stored as by default: its own type, with ND4J's HALF and BFLOAT16
     * arrays stored as F16 and BF16.
     *
     * @throws IllegalArgumentException for types without a safetensors counterpart here
     */
    public static SafeTensorsDtype of(DataType type) {
        return switch (type) {
            case FLOAT -> F32;
            case DOUBLE -> F64;
            case HALF -> F16;
            case BFLOAT16 -> BF16;
            case INT -> I32;
            case LONG -> I64;
            default -> throw new IllegalArgumentException("no safetensors dtype for ND4J type " + type
                    + " (supported: FLOAT, DOUBLE, HALF, BFLOAT16, INT, LONG)");
        };
    }

    /**
     * Whether an array of {@code type} may be stored as this dtype: F64 and F32 from any float
     * type (DOUBLE to F32 rounds to nearest); F16 and BF16 only from FLOAT, HALF or BFLOAT16, since
     * going DOUBLE -> float -> half would round twice and can miss the nearest half; integers as
     * themselves, INT also widened to I64.
     */
    boolean canStore(DataType type) {
        return switch (this) {
            case F32, F64 -> type == DataType.FLOAT || type == DataType.DOUBLE || type == DataType.HALF
                    || type == DataType.BFLOAT16;
            case F16, BF16 -> type == DataType.FLOAT || type == DataType.HALF || type == DataType.BFLOAT16;
            case I32 -> type == DataType.INT;
            case I64 -> type == DataType.LONG || type == DataType.INT;
        };
    }
}
