package dev.tessera.host;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the {@link SimdOps} implementation once, at class load: the Java Vector API version when
 * the JVM has the {@code jdk.incubator.vector} module (started with
 * {@code --add-modules jdk.incubator.vector}) and {@code -Dtessera.simd=off} is not set, else the
 * scalar one. Without the module everything still runs and gives the same results to float
 * rounding; the kernels' loops are then several times slower (exact GELU over 2 M floats: 11 ms
 * against 1.3 ms on one Zen 5 thread).
 */
public final class Simd {
    /** System property: {@code off} forces the scalar implementation. */
    public static final String PROPERTY = "tessera.simd";

    private static final Logger LOG = LoggerFactory.getLogger(Simd.class);
    private static final SimdOps SCALAR = new ScalarOps();
    private static final SimdOps OPS = choose();
    /** System property: {@code off} keeps the Java 22+ in-place kernels ({@link DirectOps}) unused. */
    public static final String DIRECT_PROPERTY = "tessera.simd.direct";
    private static final DirectOps DIRECT = chooseDirect();
    /** System property: {@code off} keeps the Java 17–19 buffer-storing kernels ({@link BufferOps}) unused. */
    public static final String BUFFERS_PROPERTY = "tessera.simd.buffers";
    private static final BufferOps BUFFERS = chooseBuffers();

    private static volatile boolean forceScalar;

    private Simd() {}

    /** The chosen implementation (the scalar one while {@link #setForceScalar} is on). */
    public static SimdOps ops() {
        return forceScalar ? SCALAR : OPS;
    }

    /** Forces the scalar implementation (tests run every kernel both ways; benchmarks measure both). */
    public static void setForceScalar(boolean scalar) {
        forceScalar = scalar;
    }

    /** The scalar implementation (the reference tests compare against). */
    public static SimdOps scalar() {
        return SCALAR;
    }

    /**
     * The in-place kernels over native memory ({@link DirectOps}), or null where they do not apply:
     * a JVM older than 22, no Vector API module, a jar compiled without them (by a Java 17
     * compiler), {@code -Dtessera.simd.direct=off}, or while {@link #setForceScalar} is on. Kernels
     * that have a direct form use it when this is non-null and copy blocks into arrays otherwise.
     */
    public static DirectOps direct() {
        return forceScalar ? null : DIRECT;
    }

    /**
     * The kernels that store their results into native memory through {@code ByteBuffer}s
     * ({@link BufferOps}), or null where they do not apply: no Vector API module, a JVM whose Vector
     * API lacks {@code intoByteBuffer} (Java 20 and later; 22+ has {@link #direct()}),
     * {@code -Dtessera.simd.buffers=off}, or while {@link #setForceScalar} is on. Kernels with a buffer form use it when this is non-null and
     * {@link #direct()} is null.
     */
    public static BufferOps buffers() {
        return forceScalar ? null : BUFFERS;
    }

    /** Whether {@link #ops()} is the Vector API version. */
    public static boolean vectorized() {
        return OPS != SCALAR;
    }

    /** One line for logs and benchmark headers, e.g. {@code "Vector API, 512-bit"}. */
    public static String description() {
        if (!vectorized()) {
            return "scalar (" + (vectorModulePresent() ? PROPERTY + "=off" : "no jdk.incubator.vector module") + ")";
        }
        return "Vector API, " + VectorBits.preferredBits() + "-bit" + (DIRECT != null ? ", in place over native memory (Java 22+)"
                : BUFFERS != null ? ", results stored through ByteBuffers (Java 17-19)" : "");
    }

    static boolean vectorModulePresent() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    private static SimdOps choose() {
        if ("off".equalsIgnoreCase(System.getProperty(PROPERTY))) {
            LOG.info("SIMD kernels: scalar ({}=off)", PROPERTY);
            return SCALAR;
        }
        if (!vectorModulePresent()) {
            LOG.info("SIMD kernels: scalar; start the JVM with --add-modules jdk.incubator.vector for the"
                    + " Vector API kernels (their loops run several times faster)");
            return SCALAR;
        }
        try {
            // Loaded by name so that nothing links against jdk.incubator.vector when it is absent.
            SimdOps ops = (SimdOps) Class.forName("dev.tessera.host.VectorOps").getDeclaredConstructor().newInstance();
            LOG.info("SIMD kernels: Java Vector API, {}-bit", VectorBits.preferredBits());
            return ops;
        } catch (ReflectiveOperationException | LinkageError e) {
            LOG.warn("SIMD kernels: scalar; the Vector API implementation failed to load: {}", e.toString());
            return SCALAR;
        }
    }

    private static DirectOps chooseDirect() {
        if (OPS == SCALAR || Runtime.version().feature() < 22 || "off".equalsIgnoreCase(System.getProperty(DIRECT_PROPERTY))) {
            return null;
        }
        try {
            // Present only in the jar's META-INF/versions/22 (compiled by a Java 22+ javac).
            DirectOps direct = (DirectOps) Class.forName("dev.tessera.host.SegmentOps").getDeclaredConstructor().newInstance();
            LOG.info("SIMD kernels: element-wise kernels work in place on native memory (Java {} MemorySegment)",
                    Runtime.version().feature());
            return direct;
        } catch (ClassNotFoundException e) {
            LOG.info("SIMD kernels: this jar was compiled without the Java 22+ in-place kernels; element-wise"
                    + " kernels copy blocks into arrays");
            return null;
        } catch (ReflectiveOperationException | LinkageError e) {
            LOG.warn("SIMD kernels: the Java 22+ in-place kernels failed to load ({}); element-wise kernels copy"
                    + " blocks into arrays", e.toString());
            return null;
        }
    }

    private static BufferOps chooseBuffers() {
        if (OPS == SCALAR || DIRECT != null || "off".equalsIgnoreCase(System.getProperty(BUFFERS_PROPERTY))
                || !VectorBits.hasBufferStores()) {
            return null;
        }
        try {
            // Loaded by name, as VectorOps is: it links jdk.incubator.vector's ByteBuffer stores.
            return (BufferOps) Class.forName("dev.tessera.host.VectorBufferOps").getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            LOG.warn("SIMD kernels: the ByteBuffer-storing kernels failed to load ({}); they copy blocks back instead",
                    e.toString());
            return null;
        }
    }

    /** Isolates the references to the Vector API, so that nothing links it where the module is absent. */
    private static final class VectorBits {
        static int preferredBits() {
            return jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
        }

        /** Whether this JVM's Vector API stores into {@code ByteBuffer}s (Java 17–19). */
        static boolean hasBufferStores() {
            try {
                jdk.incubator.vector.FloatVector.class.getMethod("intoByteBuffer", java.nio.ByteBuffer.class, int.class,
                        java.nio.ByteOrder.class);
                return true;
            } catch (NoSuchMethodException e) {
                return false;
            }
        }
    }
}
