package dev.tessera.testing;

import dev.tessera.backend.Backend;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Runs {@link Backend#init()} when a JUnit session opens, before any test class loads ND4J.
 *
 * <p>Needed because the native binary is chosen once per JVM, at ND4J's first use: a test that
 * calls {@code Nd4j.create} before anything has called {@code Backend.init()} would make JavaCPP
 * pick its own default, the AVX-512 build, which dies with SIGILL on CPUs without AVX-512 (the
 * project's 2-core AMD EPYC, for one). Registered in {@code META-INF/services} of this artifact, so
 * every test run with {@code tessera-testing} on its class path gets it.
 *
 * <p>A test run without ND4J on the class path (core's tokenizer-only run proves that tokenizers
 * need no native library) has nothing to initialise, and the listener does nothing there.
 */
public final class BackendTestSessionListener implements LauncherSessionListener {

    private static final String ND4J_FACTORY = "org.nd4j.linalg.factory.Nd4j";

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        if (nd4jOnClassPath()) {
            Backend.init();
        }
    }

    private static boolean nd4jOnClassPath() {
        try {
            // initialize = false: only asks whether the class exists, loads no native library
            Class.forName(ND4J_FACTORY, false, BackendTestSessionListener.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
