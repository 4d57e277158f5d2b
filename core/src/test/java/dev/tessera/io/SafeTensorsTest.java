package dev.tessera.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class SafeTensorsTest {

    @TempDir
    Path dir;

    private static final float[] STRESS = {
        0f, -0f, 1f, -1f, 0.1f, 1f / 3, 65504f, 65519.99f, 65520f, 1e10f, -1e10f, 0x1p-14f, 0x1p-24f, 0x1p-25f,
        Math.nextUp(0x1p-25f), 1e-40f /* float subnormal */, Float.MIN_VALUE, Float.MAX_VALUE,
        Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1.0f + 0x1p-11f, 1.0f + 0x1p-8f, 3.14159265f
    };

    private static INDArray floats(float[] v, long... shape) {
        return Nd4j.create(v, shape, 'c');
    }

    @Test
    void roundTripsEveryDtypeExactly() throws IOException {
        Map<String, INDArray> in = new LinkedHashMap<>();
        in.put("f32", Nd4j.create(new float[] {1.5f, -2f, Float.NaN, Float.NEGATIVE_INFINITY, 1e-40f, Float.MAX_VALUE}, new long[] {2, 3}, 'c'));
        in.put("f64", Nd4j.create(new double[] {Math.PI, -0.0, Double.MIN_VALUE, Double.NaN}, new long[] {4}, 'c'));
        in.put("i32", Nd4j.createFromArray(new int[] {Integer.MIN_VALUE, -1, 0, 7, Integer.MAX_VALUE, 3}).reshape(3, 2));
        in.put("i64", Nd4j.createFromArray(new long[] {Long.MIN_VALUE, -1, Long.MAX_VALUE}));
        in.put("f16src", floats(new float[] {1f, -2.5f, 65504f, 0x1p-24f}, 2, 2));
        in.put("bf16src", floats(new float[] {1f, -2.5f, 0x1p127f, 0x1p-126f}, 4));
        Path p = dir.resolve("all.safetensors");
        SafeTensors.write(p, in, Map.of("format", "pt", "note", "ünïcødé ✓"),
                Map.of("f16src", SafeTensorsDtype.F16, "bf16src", SafeTensorsDtype.BF16));
        SafeTensors.Content out = SafeTensors.read(p);
        assertEquals(Map.of("format", "pt", "note", "ünïcødé ✓"), out.metadata());
        for (String name : in.keySet()) {
            INDArray a = in.get(name);
            INDArray b = out.tensors().get(name);
            assertArrayEquals(a.shape(), b.shape(), name);
            assertEquals(a.dataType(), b.dataType(), name);
            assertTrue(bitEqual(a, b), name + ": " + a + " vs " + b);
        }
        // reference order: I64, F64, F32, I32, BF16, F16; by name within a dtype
        assertEquals(List.of("i64", "f64", "f32", "i32", "bf16src", "f16src"), List.copyOf(out.tensors().keySet()));
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            assertEquals(SafeTensorsDtype.F16, f.infos().get("f16src").dtype());
            assertEquals(SafeTensorsDtype.BF16, f.infos().get("bf16src").dtype());
            for (SafeTensorInfo info : f.infos().values()) {
                assertEquals(0, info.begin() % info.dtype().size(), "aligned: " + info);
            }
        }
    }

    private static boolean bitEqual(INDArray a, INDArray b) {
        if (a.dataType() == DataType.DOUBLE) {
            double[] x = a.dup('c').data().asDouble();
            double[] y = b.dup('c').data().asDouble();
            for (int i = 0; i < x.length; i++) {
                if (Double.doubleToRawLongBits(x[i]) != Double.doubleToRawLongBits(y[i])) {
                    return false;
                }
            }
            return x.length == y.length;
        }
        if (a.dataType() == DataType.FLOAT) {
            float[] x = a.dup('c').data().asFloat();
            float[] y = b.dup('c').data().asFloat();
            for (int i = 0; i < x.length; i++) {
                if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])
                        && !(Float.isNaN(x[i]) && Float.isNaN(y[i]))) {
                    return false;
                }
            }
            return x.length == y.length;
        }
        return a.equals(b);
    }

    @Test
    void halfFormatsRoundTheStressValuesAsSpecified() throws IOException {
        INDArray x = floats(STRESS, STRESS.length);
        Path p = dir.resolve("stress.safetensors");
        SafeTensors.write(p, Map.of("h", x, "b", x.dup(), "f", x.dup()), Map.of(),
                Map.of("h", SafeTensorsDtype.F16, "b", SafeTensorsDtype.BF16));
        Map<String, INDArray> out = SafeTensors.read(p).tensors();
        for (int i = 0; i < STRESS.length; i++) {
            float h = HalfFloats.halfToFloat(HalfFloats.floatToHalf(STRESS[i]));
            float b = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(STRESS[i]));
            assertSameFloat(h, out.get("h").getFloat(i), "F16 of " + STRESS[i]);
            assertSameFloat(b, out.get("b").getFloat(i), "BF16 of " + STRESS[i]);
            assertSameFloat(STRESS[i], out.get("f").getFloat(i), "F32 of " + STRESS[i]);
        }
        assertEquals(Float.POSITIVE_INFINITY, out.get("h").getFloat(8), "65520 overflows F16");
        assertEquals(65504f, out.get("h").getFloat(7));
        assertEquals(0x1p-24f, out.get("h").getFloat(12), "smallest F16 subnormal kept");
        assertEquals(0f, out.get("h").getFloat(13), "2^-25 ties to even zero");
    }

    private static void assertSameFloat(float expected, float actual, String what) {
        if (Float.isNaN(expected)) {
            assertTrue(Float.isNaN(actual), what);
        } else {
            assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(actual), what + ": " + expected + " vs " + actual);
        }
    }

    @Test
    void viewsAreWrittenAsTheirLogicalCOrderContents() throws IOException {
        INDArray base = Nd4j.arange(24).castTo(DataType.FLOAT).reshape(4, 6);
        INDArray t = base.transpose();                                                   // (6, 4), f-order view
        INDArray s = base.get(NDArrayIndex.interval(1, 3), NDArrayIndex.interval(2, 5)); // (2, 3), offset view
        INDArray strided = base.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2, 6)); // (4, 3), column stride 2
        INDArray f = base.dup('f');
        Path p = dir.resolve("views.safetensors");
        SafeTensors.write(p, Map.of("t", t, "s", s, "strided", strided, "f", f), null);
        Map<String, INDArray> out = SafeTensors.read(p).tensors();
        assertEquals(t.dup('c'), out.get("t"));
        assertEquals(s.dup('c'), out.get("s"));
        assertEquals(strided.dup('c'), out.get("strided"));
        assertEquals(base, out.get("f"));
        assertEquals(1f * 6 + 2, out.get("s").getFloat(0, 0));
        assertEquals(1f, out.get("t").getFloat(1, 0));
    }

    @Test
    void emptyTensorsAndScalars() throws IOException {
        Map<String, INDArray> in = new LinkedHashMap<>();
        in.put("empty", Nd4j.create(DataType.FLOAT, 2, 0, 3));
        in.put("scalar", Nd4j.scalar(2.5f));
        in.put("iscalar", Nd4j.scalar(DataType.LONG, 42));
        in.put("emptyInt", Nd4j.create(DataType.INT, 0));
        Path p = dir.resolve("edge.safetensors");
        SafeTensors.write(p, in, Map.of());
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            assertArrayEquals(new long[] {2, 0, 3}, f.infos().get("empty").shape());
            assertEquals(f.infos().get("empty").begin(), f.infos().get("empty").end());
            assertArrayEquals(new long[0], f.infos().get("scalar").shape());
            INDArray e = f.get("empty");
            assertArrayEquals(new long[] {2, 0, 3}, e.shape());
            assertEquals(0, e.length());
            INDArray sc = f.get("scalar");
            assertEquals(0, sc.rank());
            assertEquals(2.5f, sc.getFloat(0));
            INDArray isc = f.get("iscalar");
            assertEquals(DataType.LONG, isc.dataType());
            assertEquals(0, isc.rank());
            assertEquals(42L, isc.getLong(0));
            assertEquals(0, f.get("emptyInt").length());
            assertEquals(DataType.INT, f.get("emptyInt").dataType());
        }
    }

    @Test
    void writesTheExactReferenceBytes() throws IOException {
        // {"a": F32 [2] = [1, 2]} as the reference implementation writes it: compact JSON padded with
        // spaces to a multiple of 8, then little-endian floats.
        Path p = dir.resolve("golden.safetensors");
        SafeTensors.write(p, Map.of("a", floats(new float[] {1f, 2f}, 2)), Map.of());
        String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        int padded = (json.length() + 7) / 8 * 8;
        ByteBuffer expected = ByteBuffer.allocate(8 + padded + 8).order(ByteOrder.LITTLE_ENDIAN);
        expected.putLong(padded).put((json + " ".repeat(padded - json.length())).getBytes(StandardCharsets.UTF_8));
        expected.putFloat(1f).putFloat(2f);
        assertArrayEquals(expected.array(), Files.readAllBytes(p));
    }

    @Test
    void intArraysCanBeWidenedToI64AndFloatsStoredAsF64() throws IOException {
        Path p = dir.resolve("widen.safetensors");
        SafeTensors.write(p, Map.of("ids", Nd4j.createFromArray(new int[] {-5, 0, 50256}),
                "w", floats(new float[] {0.1f, -3f}, 2)), Map.of(),
                Map.of("ids", SafeTensorsDtype.I64, "w", SafeTensorsDtype.F64));
        Map<String, INDArray> out = SafeTensors.read(p).tensors();
        assertEquals(DataType.LONG, out.get("ids").dataType());
        assertArrayEquals(new long[] {-5, 0, 50256}, out.get("ids").toLongVector());
        assertEquals(DataType.DOUBLE, out.get("w").dataType());
        assertEquals((double) 0.1f, out.get("w").getDouble(0));
    }

    @Test
    void rejectsWhatCannotBeWritten() {
        Path p = dir.resolve("bad.safetensors");
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(p,
                Map.of("d", Nd4j.create(new double[] {1}, new long[] {1}, 'c')), Map.of(), Map.of("d", SafeTensorsDtype.F16)));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(p,
                Map.of("__metadata__", Nd4j.scalar(1f)), Map.of()));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(p,
                Map.of("b", Nd4j.create(DataType.BOOL, 2)), Map.of()));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(p,
                Map.of("a", Nd4j.scalar(1f)), Map.of(), Map.of("zzz", SafeTensorsDtype.F16)));
        assertFalse(Files.exists(p));
    }

    @Test
    void anInterruptedWriteLeavesThePreviousFileIntact() throws IOException {
        Path p = dir.resolve("ckpt.safetensors");
        INDArray v1 = Nd4j.rand(DataType.FLOAT, 64, 64);
        SafeTensors.write(p, Map.of("w", v1), Map.of("step", "1"));
        byte[] before = Files.readAllBytes(p);

        INDArray v2 = v1.add(1f);
        IOException e = assertThrows(IOException.class, () -> SafeTensors.write(p, Map.of("w", v2), Map.of("step", "2"),
                Map.of(), ch -> new FailingChannel(ch, 5000)));
        assertTrue(e.getMessage().contains("simulated"), e.getMessage());

        assertArrayEquals(before, Files.readAllBytes(p), "previous file untouched");
        SafeTensors.Content c = SafeTensors.read(p);
        assertEquals("1", c.metadata().get("step"));
        assertEquals(v1, c.tensors().get("w"));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(p.getFileName().toString()), files.map(x -> x.getFileName().toString()).toList(),
                    "no temporary file left behind");
        }

        SafeTensors.write(p, Map.of("w", v2), Map.of("step", "2"));
        assertEquals(v2, SafeTensors.read(p).tensors().get("w"));
    }

    /** A channel that fails after a number of bytes, like a full disk or a killed process would. */
    private static final class FailingChannel implements WritableByteChannel {
        private final WritableByteChannel inner;
        private long left;

        FailingChannel(WritableByteChannel inner, long failAfter) {
            this.inner = inner;
            this.left = failAfter;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (left <= 0) {
                throw new IOException("simulated failure mid-write");
            }
            int n = (int) Math.min(left, src.remaining());
            ByteBuffer part = src.duplicate();
            part.limit(part.position() + n);
            int w = inner.write(part);
            src.position(src.position() + w);
            left -= w;
            return w;
        }

        @Override
        public boolean isOpen() {
            return inner.isOpen();
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }
    }

    @Test
    void fileReadsLazilyAndClosesItsHandle() throws IOException {
        Path p = dir.resolve("lazy.safetensors");
        SafeTensors.write(p, Map.of("a", Nd4j.rand(DataType.FLOAT, 3, 4), "b", Nd4j.rand(DataType.DOUBLE, 5)), Map.of());
        SafeTensorsFile f = SafeTensorsFile.open(p);
        assertEquals(List.of("b", "a"), List.copyOf(f.names()));
        assertTrue(f.contains("a"));
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> f.get("nope"));
        assertTrue(missing.getMessage().contains("nope") && missing.getMessage().contains("[b, a]"), missing.getMessage());
        assertArrayEquals(new long[] {3, 4}, f.get("a").shape());
        f.close();
        f.close();
        assertThrows(IllegalStateException.class, () -> f.get("a"));

        Path fds = Path.of("/proc/self/fd");
        if (Files.isDirectory(fds)) {
            long before = countFds(fds);
            for (int i = 0; i < 300; i++) {
                try (SafeTensorsFile g = SafeTensorsFile.open(p)) {
                    g.get("a");
                }
            }
            assertTrue(countFds(fds) <= before + 2, "file handles leak: " + before + " -> " + countFds(fds));
        }
    }

    private static long countFds(Path fds) throws IOException {
        try (Stream<Path> s = Files.list(fds)) {
            return s.count();
        }
    }
}
