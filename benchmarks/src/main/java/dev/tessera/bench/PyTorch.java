package dev.tessera.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;

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
