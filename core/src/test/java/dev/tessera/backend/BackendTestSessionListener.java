package dev.tessera.backend;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Runs {@link Backend#init()} when a JUnit session opens, before any test class loads ND4J.
 *
 * <p>Needed because the native binary is chosen once per JVM, at ND4J's first use: a test that
 * calls {@code Nd4j.create} before anything has called {@code Backend.init()} would make JavaCPP
 * pick its own default, the AVX-512 build, which dies with SIGILL on CPUs without AVX-512 (the
 * project's 2-core AMD EPYC, for one). Registered in {@code META-INF/services}, and shipped in the
 * core test-jar so that the other modules' test runs get it too.
 */
public final class BackendTestSessionListener implements LauncherSessionListener {

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        Backend.init();
    }
}
