package dev.tessera.host;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the {@link SimdOps} implementation once, at class load: the Java Vector API version when
 * the JVM has the {@code jdk.incubator.vector} module (started with
 * {@code --add-modules jdk.incubator.vector}) and {@code -Dtessera.simd=off} is not set, else the
 * scalar one. Without the module everything still runs and gives the same results to float
 * rounding; the kernels' loops are then up to 16× slower (GELU over 2 M floats: 40 ms against
 * 2.5 ms on one Zen 5 thread).
 */
public final class Simd {
    /** System property: {@code off} forces the scalar implementation. */
    public static final String PROPERTY = "tessera.simd";

    private static final Logger LOG = LoggerFactory.getLogger(Simd.class);
    private static final SimdOps SCALAR = new ScalarOps();
    private static final SimdOps OPS = choose();

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

    /** Whether {@link #ops()} is the Vector API version. */
    public static boolean vectorized() {
        return OPS != SCALAR;
    }

    /** One line for logs and benchmark headers, e.g. {@code "Vector API, 512-bit"}. */
    public static String description() {
        if (!vectorized()) {
            return "scalar (" + (vectorModulePresent() ? PROPERTY + "=off" : "no jdk.incubator.vector module") + ")";
        }
        return "Vector API, " + VectorBits.preferredBits() + "-bit";
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
                    + " Vector API kernels (their loops run up to 16x faster)");
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

    /** Isolates the one reference to the vector species so that {@link #description()} links lazily. */
    private static final class VectorBits {
        static int preferredBits() {
            return jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
        }
    }
}
