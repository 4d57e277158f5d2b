package dev.tessera.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The PyTorch anchor through DJL, set up the same way in every benchmark: offline (the native
 * library comes from the {@code pytorch-native-cpu} jar, nothing is downloaded), on the CPU, with
 * as many intra-op threads as the JVM has processors (2 on the project machine) and one inter-op
 * thread, so that it competes with Tessera on equal cores.
 */
public final class PyTorch {

    private PyTorch() {}

    /** A new manager on the CPU; close it in the benchmark's {@code @TearDown}. */
    public static NDManager newManager() {
        configure();
        return NDManager.newBaseManager(Device.cpu(), "PyTorch");
    }

    /**
     * {@code y.backward(gradient)} as in PyTorch: back-propagates a given upstream gradient (same
     * shape as {@code y}) without the extra {@code (y * g).sum()} node a scalar-only
     * {@code GradientCollector.backward} would need. Call it inside an open
     * {@code GradientCollector}, as DJL records the graph only there. Gradients accumulate into
     * the leaves' {@code .grad}, as PyTorch's do.
     */
    public static void backward(NDArray y, NDArray gradient) {
        if (!(y instanceof PtNDArray) || !(gradient instanceof PtNDArray)) {
            throw new IllegalArgumentException("y and gradient must be PyTorch arrays but were "
                    + y.getClass().getName() + " and " + gradient.getClass().getName());
        }
        if (!y.getShape().equals(gradient.getShape())) {
            throw new IllegalArgumentException("gradient must have y's shape " + y.getShape() + " but has "
                    + gradient.getShape());
        }
        JniUtils.backward((PtNDArray) y, (PtNDArray) gradient, false, false);
    }

    /**
     * A per-operation scope: a sub-manager of {@code parent} to which {@code inputs} are
     * temporarily attached, so every array an operation on them creates (results, gradients'
     * wrappers, intermediates) belongs to the scope and is freed when it closes, while the inputs
     * go back to {@code parent}. Without it, DJL keeps each result until the parent closes.
     */
    public static NDManager scope(NDManager parent, NDArray... inputs) {
        NDManager m = parent.newSubManager();
        m.tempAttachAll(inputs);
        return m;
    }

    /** Sets DJL's properties unless the user set them (must run before DJL's engine loads). */
    public static void configure() {
        setIfAbsent("ai.djl.offline", "true");
        setIfAbsent("ai.djl.pytorch.num_threads", Integer.toString(Runtime.getRuntime().availableProcessors()));
        setIfAbsent("ai.djl.pytorch.num_interop_threads", "1");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
