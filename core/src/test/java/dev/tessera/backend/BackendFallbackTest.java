package dev.tessera.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Without the MKL jars on the class path (a user who excluded them, or a platform MKL does not
 * ship for), the backend must still start: OpenBLAS in ND4J, the portable matmul, no crash, and
 * the same product. Runs {@link FallbackProbe} in a child JVM, because the native set-up is fixed
 * once per JVM.
 */
class BackendFallbackTest {

    private static String run(String classPath) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx512m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                "-cp", classPath, FallbackProbe.class.getName())
                .redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM did not finish");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        return text;
    }

    @Test
    void withoutMklTheBackendFallsBackToThePortablePath() throws Exception {
        List<String> entries = Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator));
        String withoutMkl = entries.stream()
                .filter(e -> !e.replace('\\', '/').contains("/org/bytedeco/mkl"))
                .collect(Collectors.joining(File.pathSeparator));
        String out = run(withoutMkl);
        assertTrue(out.contains("direct=false"), out);
        assertTrue(out.contains("vendor=OPENBLAS"), out);
        assertTrue(out.contains("product=[58.0, 64.0, 139.0, 154.0]"), out);
        // the one start-up line says which path matmul takes
        assertTrue(out.contains("Tessera backend:") && out.contains("matmul: ND4J mmul"), out);
    }
}
