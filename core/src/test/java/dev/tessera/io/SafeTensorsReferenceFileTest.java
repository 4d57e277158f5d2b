package dev.tessera.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Interoperability with the reference implementation: {@code io/reference.safetensors} was written
 * by Hugging Face's safetensors 0.8.0 ({@code safetensors.numpy.save_file}) with the committed
 * {@code io/make_reference.py}. Tessera reads it to the expected values and, given the same
 * tensors and metadata order, writes the same bytes.
 */
class SafeTensorsReferenceFileTest {

    @TempDir
    Path dir;

    private byte[] reference() throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/io/reference.safetensors")) {
            return in.readAllBytes();
        }
    }

    /** The tensors of make_reference.py, built in Java. */
    private static Map<String, INDArray> expected() {
        Map<String, INDArray> m = new LinkedHashMap<>();
        m.put("weight", Nd4j.create(new float[] {-0.5f, -0.25f, 0f, 0.25f, 0.5f, 0.75f}, new long[] {2, 3}, 'c'));
        m.put("bias", Nd4j.create(new float[] {1.5f, -2f, 1e-40f, Float.POSITIVE_INFINITY}, new long[] {4}, 'c'));
        m.put("double", Nd4j.create(new double[] {Math.PI, -1.0 / 3}, new long[] {2, 1}, 'c'));
        m.put("half", Nd4j.create(new float[] {1f, 0.1f, 65504f, 65520f, 0x1p-24f, -0f}, new long[] {6}, 'c'));
        m.put("ids", Nd4j.createFromArray(new int[][] {{0, 50256, -7}}));
        m.put("positions", Nd4j.createFromArray(new long[] {-(1L << 40), 0, 1L << 62}));
        m.put("scalar", Nd4j.scalar(3.25f));
        m.put("empty", Nd4j.create(DataType.FLOAT, 0, 4));
        return m;
    }

    @Test
    void readsTheReferenceFile() throws IOException {
        Path p = dir.resolve("reference.safetensors");
        Files.write(p, reference());
        SafeTensors.Content c = SafeTensors.read(p);
        assertEquals(Map.of("format", "np", "source", "make_reference.py"), c.metadata());
        assertEquals(List.of("positions", "double", "bias", "empty", "scalar", "weight", "ids", "half"),
                List.copyOf(c.tensors().keySet()));
        Map<String, INDArray> e = expected();
        for (String name : List.of("weight", "bias", "double", "ids", "positions", "scalar", "empty")) {
            assertEquals(e.get(name), c.tensors().get(name), name);
            assertArrayEquals(e.get(name).shape(), c.tensors().get(name).shape(), name);
        }
        // numpy's float16 rounding, widened back: 0.1 -> 0.0999755859375, 65520 -> inf
        assertArrayEquals(new float[] {1f, 0.0999755859375f, 65504f, Float.POSITIVE_INFINITY, 0x1p-24f, -0f},
                c.tensors().get("half").toFloatVector(), 0f);
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(c.tensors().get("half").getFloat(5)));
        assertEquals(1e-40f, c.tensors().get("bias").getFloat(2));
    }

    @Test
    void writesTheSameBytesAsTheReference() throws IOException {
        Path p = dir.resolve("tessera.safetensors");
        Map<String, String> meta = new LinkedHashMap<>();
        // the reference writes metadata in its hash map's order; this file has it as source, format
        meta.put("source", "make_reference.py");
        meta.put("format", "np");
        SafeTensors.write(p, expected(), meta, Map.of("half", SafeTensorsDtype.F16));
        byte[] ours = Files.readAllBytes(p);
        byte[] ref = reference();
        assertTrue(java.util.Arrays.equals(ref, ours), "differs from the reference:\n"
                + new String(ours, 8, Math.min(ours.length - 8, 560), java.nio.charset.StandardCharsets.UTF_8) + "\nvs\n"
                + new String(ref, 8, Math.min(ref.length - 8, 560), java.nio.charset.StandardCharsets.UTF_8));
    }
}
