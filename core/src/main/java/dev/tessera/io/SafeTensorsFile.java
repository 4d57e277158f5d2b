package dev.tessera.io;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An open safetensors file whose header has been read and validated, and whose tensors are read
 * on demand through memory maps of just their byte ranges: opening a multi-gigabyte checkpoint
 * costs the header only, and {@link #get(String)} touches only the pages of that tensor.
 *
 * <pre>{@code
 * try (SafeTensorsFile f = SafeTensorsFile.open(Path.of("model.safetensors"))) {
 *     INDArray wte = f.get("wte.weight");   // (V, C) float32
 * }
 * }</pre>
 *
 * <p>The file handle is closed by {@link #close()}; arrays already returned are independent copies
 * in ND4J memory and stay valid. The short-lived mapped buffers are released by the garbage
 * collector (Java 17 has no public unmap); they hold no file descriptor. Not thread-safe for
 * concurrent {@code get} and {@code close}.
 */
public final class SafeTensorsFile implements AutoCloseable {

    /** Largest window mapped at once: a multiple of 8 below the 2 GiB MappedByteBuffer limit. */
    private static final long MAP_WINDOW = 1L << 30;

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final SafeTensorsHeader.Parsed header;
    private boolean closed;

    private SafeTensorsFile(Path path, FileChannel channel, long dataStart, SafeTensorsHeader.Parsed header) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.header = header;
    }

    /**
     * Opens a file and validates its header and offsets (see {@link SafeTensors} for the checks).
     *
     * @throws SafeTensorsFormatException if the file is malformed; the message names the problem
     * @throws IOException if it cannot be read
     */
    public static SafeTensorsFile open(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            String source = String.valueOf(path.getFileName());
            long size = ch.size();
            if (size < 8) {
                throw new SafeTensorsFormatException(source + ": truncated: " + size
                        + " bytes, fewer than the 8-byte header length");
            }
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, len, 0);
            long n = len.getLong(0);
            if (n < 0 || n > SafeTensorsHeader.MAX_HEADER_BYTES) {
                throw new SafeTensorsFormatException(source + ": header length " + Long.toUnsignedString(n)
                        + " exceeds the limit of " + SafeTensorsHeader.MAX_HEADER_BYTES + " bytes");
            }
            if (n > size - 8) {
                throw new SafeTensorsFormatException(source + ": header length " + n + " is larger than the file ("
                        + size + " bytes, " + (size - 8) + " after the length): truncated or corrupt");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) n);
            readFully(ch, hb, 8);
            SafeTensorsHeader.Parsed parsed = SafeTensorsHeader.parse(hb.array(), size - 8 - n, source);
            return new SafeTensorsFile(path, ch, 8 + n, parsed);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long position) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int r = ch.read(dst, pos);
            if (r < 0) {
                throw new EOFException("unexpected end of file at byte " + pos);
            }
            pos += r;
        }
    }

    /** Tensor names in data order. */
    public Set<String> names() {
        return header.tensors().keySet();
    }

    /** Every tensor's header entry, in data order. */
    public Map<String, SafeTensorInfo> infos() {
        return header.tensors();
    }

    /** The {@code __metadata__} map (empty when absent). */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** Whether the file has a tensor of that name. */
    public boolean contains(String name) {
        return header.tensors().containsKey(name);
    }

    /**
     * Reads one tensor into a new C-order array: F32/F16/BF16 as FLOAT, F64 as DOUBLE, I32 as INT,
     * I64 as LONG.
     *
     * @throws IllegalArgumentException if there is no such tensor (the message lists a few names)
     * @throws IllegalStateException if the file was closed
     */
    public INDArray get(String name) throws IOException {
        if (closed) {
            throw new IllegalStateException(path + " is closed");
        }
        SafeTensorInfo info = header.tensors().get(name);
        if (info == null) {
            throw new IllegalArgumentException("no tensor '" + name + "' in " + path + " (has "
                    + header.tensors().size() + " tensors, e.g. "
                    + header.tensors().keySet().stream().limit(5).toList() + ")");
        }
        long[] shape = info.shape(); // as stored
        DataType type = info.dtype().loadsAs();
        long numel = info.numel();
        if (numel == 0) {
            return Nd4j.create(type, shape, Nd4j.getStrides(shape, 'c'), 'c');
        }
        if (numel > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + numel
                    + " elements, more than a Java array can stage");
        }
        int count = (int) numel;
        long start = dataStart + info.begin();
        INDArray out;
        switch (info.dtype()) {
            case F32 -> {
                float[] v = new float[count];
                forEachWindow(start, info.byteLength(), 4, (buf, first) -> buf.asFloatBuffer().get(v, first, buf.remaining() / 4));
                out = Nd4j.create(v, shape, 'c');
            }
            case F64 -> {
                double[] v = new double[count];
                forEachWindow(start, info.byteLength(), 8, (buf, first) -> buf.asDoubleBuffer().get(v, first, buf.remaining() / 8));
                out = Nd4j.create(v, shape, 'c');
            }
            case F16, BF16 -> {
                float[] v = new float[count];
                boolean bf = info.dtype() == SafeTensorsDtype.BF16;
                forEachWindow(start, info.byteLength(), 2, (buf, first) -> {
                    int k = buf.remaining() / 2;
                    for (int i = 0; i < k; i++) {
                        short s = buf.getShort(buf.position() + 2 * i);
                        v[first + i] = bf ? HalfFloats.bf16ToFloat(s) : HalfFloats.halfToFloat(s);
                    }
                });
                out = Nd4j.create(v, shape, 'c');
            }
            case I32 -> {
                int[] v = new int[count];
                forEachWindow(start, info.byteLength(), 4, (buf, first) -> buf.asIntBuffer().get(v, first, buf.remaining() / 4));
                out = Nd4j.createFromArray(v).reshape('c', shape);
            }
            case I64 -> {
                long[] v = new long[count];
                forEachWindow(start, info.byteLength(), 8, (buf, first) -> buf.asLongBuffer().get(v, first, buf.remaining() / 8));
                out = Nd4j.createFromArray(v).reshape('c', shape);
            }
            default -> throw new AssertionError(info.dtype());
        }
        return out;
    }

    /** Reads every tensor, in data order. */
    public Map<String, INDArray> getAll() throws IOException {
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (String name : names()) {
            out.put(name, get(name));
        }
        return out;
    }

    private interface WindowReader {
        /** @param buf little-endian window; @param firstElement index of its first element in the tensor */
        void read(ByteBuffer buf, int firstElement);
    }

    private void forEachWindow(long start, long length, int elementSize, WindowReader reader) throws IOException {
        long done = 0;
        while (done < length) {
            long len = Math.min(MAP_WINDOW, length - done);
            MappedByteBuffer map = channel.map(FileChannel.MapMode.READ_ONLY, start + done, len);
            map.order(ByteOrder.LITTLE_ENDIAN);
            reader.read(map, (int) (done / elementSize));
            done += len;
        }
    }

    /** Closes the file handle; later {@link #get(String)} calls throw. Idempotent. */
    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            channel.close();
        }
    }
}
