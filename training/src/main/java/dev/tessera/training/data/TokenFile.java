package dev.tessera.training.data;

import dev.tessera.core.Require;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A tokenised corpus on disk, memory-mapped for reading. Layout (little-endian):
 * <pre>
 *   bytes 0..7    magic "TSRTOKN1"
 *   bytes 8..11   int32 bytes per token: 2 (uint16, when vocabSize ≤ 65536) or 4 (int32)
 *   bytes 12..15  int32 vocabSize
 *   bytes 16..23  int64 token count N
 *   bytes 24..31  reserved, zero
 *   bytes 32..    N tokens
 * </pre>
 * Opening validates the magic, width, vocabulary and that the file length is exactly
 * 32 + N·width. Files larger than 2 GiB are mapped in 1 GiB segments.
 */
public final class TokenFile {
    static final byte[] MAGIC = {'T', 'S', 'R', 'T', 'O', 'K', 'N', '1'};
    static final int HEADER_BYTES = 32;
    private static final long SEGMENT_BYTES = 1L << 30;

    private final Path path;
    private final int width;
    private final int vocabSize;
    private final long count;
    private final List<MappedByteBuffer> segments = new ArrayList<>();

    private TokenFile(Path path, int width, int vocabSize, long count, FileChannel ch) throws IOException {
        this.path = path;
        this.width = width;
        this.vocabSize = vocabSize;
        this.count = count;
        long bytes = count * width;
        for (long off = 0; off < bytes; off += SEGMENT_BYTES) {
            long len = Math.min(SEGMENT_BYTES, bytes - off);
            MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, HEADER_BYTES + off, len);
            m.order(ByteOrder.LITTLE_ENDIAN);
            segments.add(m);
        }
    }

    /** Opens and validates a token file. */
    public static TokenFile open(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER_BYTES) {
                throw new IOException(path + ": not a token file (" + size + " bytes, header needs " + HEADER_BYTES + ")");
            }
            ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            while (h.hasRemaining() && ch.read(h, h.position()) > 0) {
                // read fully
            }
            h.flip();
            byte[] magic = new byte[8];
            h.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new IOException(path + ": bad magic, expected TSRTOKN1");
            }
            int width = h.getInt();
            int vocab = h.getInt();
            long count = h.getLong();
            if (width != 2 && width != 4) {
                throw new IOException(path + ": bytes per token must be 2 or 4 but is " + width);
            }
            if (vocab <= 0 || (width == 2 && vocab > 65536)) {
                throw new IOException(path + ": vocabSize " + vocab + " does not fit " + width + "-byte tokens");
            }
            if (count < 0 || size != HEADER_BYTES + count * width) {
                throw new IOException(path + ": header says " + count + " tokens of " + width + " bytes, so "
                        + (HEADER_BYTES + count * width) + " bytes, but the file has " + size);
            }
            return new TokenFile(path, width, vocab, count, ch);
        }
    }

    /** Bytes per token a vocabulary needs: 2 up to 65536 ids, else 4. */
    public static int widthFor(int vocabSize) {
        return vocabSize <= 65536 ? 2 : 4;
    }

    public long size() {
        return count;
    }

    public int vocabSize() {
        return vocabSize;
    }

    public Path path() {
        return path;
    }

    /** Token {@code i}; tokens are checked against the vocabulary when read. */
    public int get(long i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("token index must be in [0, " + count + ") but was " + i);
        }
        long byteOff = i * width;
        MappedByteBuffer seg = segments.get((int) (byteOff / SEGMENT_BYTES));
        int at = (int) (byteOff % SEGMENT_BYTES);
        int t = width == 2 ? Short.toUnsignedInt(seg.getShort(at)) : seg.getInt(at);
        if (t < 0 || t >= vocabSize) {
            throw new IllegalStateException(path + ": token " + i + " is " + t + ", outside [0, " + vocabSize + ")");
        }
        return t;
    }

    /** Copies tokens [start, start + dst.length) into dst. */
    public void read(long start, int[] dst) {
        for (int k = 0; k < dst.length; k++) {
            dst[k] = get(start + k);
        }
    }

    /** Creates a writer; the file appears at {@code path} only on {@link Writer#commit()}. */
    public static Writer writer(Path path, int vocabSize) throws IOException {
        return new Writer(path, vocabSize);
    }

    /**
     * Appends tokens to a temporary file next to the target; {@link #commit()} writes the header,
     * fsyncs and renames atomically. Closing without commit deletes the temporary file.
     */
    public static final class Writer implements Closeable {
        private final Path target;
        private final Path tmp;
        private final FileChannel ch;
        private final int vocab;
        private final int width;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        private long count;
        private boolean done;

        private Writer(Path path, int vocabSize) throws IOException {
            Require.positive("vocabSize", vocabSize);
            this.target = path.toAbsolutePath();
            this.vocab = vocabSize;
            this.width = widthFor(vocabSize);
            this.tmp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".tmp");
            this.ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
            ch.position(HEADER_BYTES);
        }

        /** Appends tokens, each in [0, vocabSize). */
        public void append(int[] tokens) throws IOException {
            for (int t : tokens) {
                if (t < 0 || t >= vocab) {
                    throw new IllegalArgumentException("token must be in [0, " + vocab + ") but was " + t);
                }
                if (buf.remaining() < 4) {
                    flush();
                }
                if (width == 2) {
                    buf.putShort((short) t);
                } else {
                    buf.putInt(t);
                }
                count++;
            }
        }

        public long count() {
            return count;
        }

        private void flush() throws IOException {
            buf.flip();
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            buf.clear();
        }

        /** Writes the header, fsyncs, and atomically moves the file into place. */
        public void commit() throws IOException {
            flush();
            ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            h.put(MAGIC).putInt(width).putInt(vocab).putLong(count).putLong(0).flip();
            while (h.hasRemaining()) {
                ch.write(h, h.position());
            }
            ch.force(true);
            ch.close();
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        }

        @Override
        public void close() throws IOException {
            if (!done) {
                ch.close();
                Files.deleteIfExists(tmp);
                done = true;
            }
        }
    }
}
