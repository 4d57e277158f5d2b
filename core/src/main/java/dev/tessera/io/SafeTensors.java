package dev.tessera.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length,
 * a UTF-8 JSON header mapping each name to {@code {"dtype", "shape", "data_offsets"}} plus an
 * optional {@code "__metadata__"} string map, then the raw little-endian data, with offsets
 * relative to the end of the header tiling the data without gaps. Never Java serialization.
 *
 * <p><b>Loading validates everything</b> before reading data, and rejects with a
 * {@link SafeTensorsFormatException} naming the problem and the tensor: a truncated file, a header
 * length larger than the file or above 100 MiB, invalid UTF-8, invalid JSON, duplicate names, an
 * unknown dtype, a negative or non-integer shape entry, offsets out of range, overlapping, with
 * gaps, or with a size other than shape × dtype size, and trailing bytes after the last tensor.
 *
 * <p><b>Writing</b> stores each array's logical C-order contents (views and transposes included),
 * in the reference implementation's order: I64, F64, F32, I32, BF16, F16, then by name (so every
 * tensor starts aligned to its element size, and the file does not depend on the map's order);
 * the header is padded with spaces to a multiple of 8 bytes. The write is atomic: a temporary
 * file in the same directory, {@code fsync}, rename over the target, {@code fsync} of the
 * directory; a crash or exception midway leaves the previous file intact.
 *
 * <pre>{@code
 * SafeTensors.write(path, Map.of("wte.weight", wte), Map.of("format", "pt"));
 * SafeTensors.Content c = SafeTensors.read(path);   // c.tensors().get("wte.weight")
 * }</pre>
 */
public final class SafeTensors {

    private static final Logger LOG = LoggerFactory.getLogger(SafeTensors.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Staging buffer for encoding data; big enough to amortise the syscalls, small next to any model. */
    private static final int CHUNK_BYTES = 1 << 20;

    /**
     * What a file holds.
     *
     * @param tensors in data order
     * @param metadata the {@code __metadata__} map, empty when absent
     */
    public record Content(Map<String, INDArray> tensors, Map<String, String> metadata) {}

    private SafeTensors() {}

    /** Reads a whole file (through {@link SafeTensorsFile}). */
    public static Content read(Path path) throws IOException {
        try (SafeTensorsFile f = SafeTensorsFile.open(path)) {
            return new Content(f.getAll(), f.metadata());
        }
    }

    /** Writes the arrays in their own types (FLOAT as F32, DOUBLE as F64, HALF as F16, BFLOAT16 as BF16, INT as I32, LONG as I64). */
    public static void write(Path path, Map<String, INDArray> tensors, Map<String, String> metadata) throws IOException {
        write(path, tensors, metadata, Map.of());
    }

    /**
     * Writes the arrays, storing those named in {@code storeAs} in that dtype, e.g. float32
     * weights as {@link SafeTensorsDtype#BF16} (rounded to nearest even).
     *
     * @param metadata may be empty or null; keys and values must be non-null
     * @throws IllegalArgumentException for a null or reserved name, a null array, an unsupported
     *     type or a {@code storeAs} dtype that cannot hold the array's type
     */
    public static void write(Path path, Map<String, INDArray> tensors, Map<String, String> metadata,
            Map<String, SafeTensorsDtype> storeAs) throws IOException {
        write(path, tensors, metadata, storeAs, UnaryOperator.identity());
    }

    /** As above, with the output channel wrapped (tests use it to fail a write midway). */
    static void write(Path path, Map<String, INDArray> tensors, Map<String, String> metadata,
            Map<String, SafeTensorsDtype> storeAs, UnaryOperator<WritableByteChannel> wrap) throws IOException {
        List<Entry> entries = plan(tensors, storeAs);
        byte[] header = header(entries, metadata == null ? Map.of() : metadata);

        Path target = path.toAbsolutePath();
        Path dir = target.getParent();
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                WritableByteChannel out = wrap.apply(ch);
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
                writeFully(out, len);
                writeFully(out, ByteBuffer.wrap(header));
                ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                for (Entry e : entries) {
                    writeData(out, e, chunk);
                }
                ch.force(true); // data on disk before the rename makes it visible
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
            syncDirectory(dir);
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** One tensor to write: its name, stored dtype, C-order contents and byte range. */
    private record Entry(String name, SafeTensorsDtype dtype, INDArray array, long begin, long end) {}

    private static List<Entry> plan(Map<String, INDArray> tensors, Map<String, SafeTensorsDtype> storeAs) {
        if (tensors == null) {
            throw new IllegalArgumentException("tensors is null");
        }
        Map<String, SafeTensorsDtype> overrides = storeAs == null ? Map.of() : storeAs;
        for (String name : overrides.keySet()) {
            if (!tensors.containsKey(name)) {
                throw new IllegalArgumentException("storeAs names '" + name + "', which is not among the tensors");
            }
        }
        List<Entry> list = new ArrayList<>();
        for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
            String name = e.getKey();
            INDArray a = e.getValue();
            if (name == null || name.equals(SafeTensorsHeader.METADATA_KEY)) {
                throw new IllegalArgumentException("invalid tensor name " + name + " (null or the reserved "
                        + SafeTensorsHeader.METADATA_KEY + ")");
            }
            if (a == null) {
                throw new IllegalArgumentException("tensor '" + name + "' is null");
            }
            SafeTensorsDtype d = overrides.containsKey(name) ? overrides.get(name) : SafeTensorsDtype.of(a.dataType());
            if (!d.canStore(a.dataType())) {
                throw new IllegalArgumentException("tensor '" + name + "' of type " + a.dataType()
                        + " cannot be stored as " + d);
            }
            list.add(new Entry(name, d, a, 0, 0));
        }
        // The reference implementation's order (Rust safetensors' serialize): dtype in descending
        // enum order, which puts 8-byte types before 4- and 2-byte ones so that every tensor stays
        // aligned to its element size; then by name. Byte-identical files for the same tensors.
        list.sort(Comparator.comparingInt((Entry x) -> -x.dtype().referenceOrder()).thenComparing(Entry::name));
        List<Entry> placed = new ArrayList<>(list.size());
        long pos = 0;
        for (Entry x : list) {
            long bytes = Math.multiplyExact(x.array().length(), (long) x.dtype().size());
            placed.add(new Entry(x.name(), x.dtype(), x.array(), pos, pos + bytes));
            pos += bytes;
        }
        return placed;
    }

    private static byte[] header(List<Entry> entries, Map<String, String> metadata) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = root.putObject(SafeTensorsHeader.METADATA_KEY);
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new IllegalArgumentException("metadata keys and values must be non-null, got "
                            + e.getKey() + "=" + e.getValue());
                }
                m.put(e.getKey(), e.getValue());
            }
        }
        for (Entry e : entries) {
            ObjectNode t = root.putObject(e.name());
            t.put("dtype", e.dtype().name());
            ArrayNode shape = t.putArray("shape");
            for (long s : e.array().shape()) {
                shape.add(s);
            }
            t.putArray("data_offsets").add(e.begin()).add(e.end());
        }
        byte[] json = JSON.writeValueAsBytes(root);
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    /** Streams one tensor's logical C-order contents, converted to its stored dtype, through {@code chunk}. */
    private static void writeData(WritableByteChannel out, Entry e, ByteBuffer chunk) throws IOException {
        long n = e.array().length();
        if (n == 0) {
            return;
        }
        INDArray src = contiguous(e.array());
        DataType t = src.dataType();
        SafeTensorsDtype d = e.dtype();
        chunk.clear();
        switch (d) {
            case F64 -> {
                double[] v = src.castTo(DataType.DOUBLE).data().asDouble();
                for (double x : v) {
                    if (chunk.remaining() < 8) {
                        flush(out, chunk);
                    }
                    chunk.putDouble(x);
                }
            }
            case F32, F16, BF16 -> {
                float[] v = (t == DataType.FLOAT ? src : src.castTo(DataType.FLOAT)).data().asFloat();
                for (float x : v) {
                    if (chunk.remaining() < 4) {
                        flush(out, chunk);
                    }
                    switch (d) {
                        case F32 -> chunk.putFloat(x);
                        case F16 -> chunk.putShort(HalfFloats.floatToHalf(x));
                        default -> chunk.putShort(HalfFloats.floatToBf16(x));
                    }
                }
            }
            case I32 -> {
                int[] v = src.data().asInt();
                for (int x : v) {
                    if (chunk.remaining() < 4) {
                        flush(out, chunk);
                    }
                    chunk.putInt(x);
                }
            }
            case I64 -> {
                long[] v = src.data().asLong();
                for (long x : v) {
                    if (chunk.remaining() < 8) {
                        flush(out, chunk);
                    }
                    chunk.putLong(x);
                }
            }
            default -> throw new AssertionError(d);
        }
        flush(out, chunk);
    }

    /** A C-order, offset-free array whose buffer holds exactly its elements in logical order. */
    private static INDArray contiguous(INDArray a) {
        if (a.isView() || a.ordering() != 'c' || a.data().length() != a.length()) {
            return a.dup('c');
        }
        return a;
    }

    private static void flush(WritableByteChannel out, ByteBuffer chunk) throws IOException {
        chunk.flip();
        writeFully(out, chunk);
        chunk.clear();
    }

    private static void writeFully(WritableByteChannel out, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            out.write(buf);
        }
    }

    /** Makes the rename durable; not possible on every OS (Windows cannot open a directory), hence best effort. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("Could not fsync directory {}: {}", dir, e.toString());
        }
    }
}
