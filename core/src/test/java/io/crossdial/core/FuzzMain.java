package io.crossdial.core;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import java.io.PrintWriter;
import java.lang.reflect.Method;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs one {@code @FuzzTest} method in this JVM through the JUnit Platform launcher, without Maven: the bounded
 * fuzzing job of CI ({@code .ci/fuzz}, specs/reliability.md "Fuzzing in CI") starts one JVM per target, as
 * Jazzer fuzzes one target per JVM. With {@code JAZZER_FUZZ} set it fuzzes; the libFuzzer flags come from the
 * {@code jazzer.internal.arg.N} system properties, which JUnit reads as configuration parameters.
 *
 * <p>Usage: {@code FuzzMain <fully.qualified.Class#method>}. Exit status: 0 when the target ran and passed,
 * 1 when it failed (a finding), 2 when nothing ran (a wrong name, or the target was skipped).
 */
public final class FuzzMain {
    private FuzzMain() {}

    /** @param args {@code <fully.qualified.Class#method>} */
    public static void main(String[] args) {
        if (args.length != 1 || !args[0].contains("#")) {
            System.err.println("usage: FuzzMain <fully.qualified.Class#method>");
            System.exit(2);
        }
        String className = args[0].substring(0, args[0].indexOf('#'));
        String methodName = args[0].substring(args[0].indexOf('#') + 1);
        Class<?> testClass;
        try {
            testClass = Class.forName(className);
        } catch (ClassNotFoundException e) {
            System.err.println("FuzzMain: no class " + className);
            System.exit(2);
            return;
        }
        Method method = null;
        for (Method m : testClass.getDeclaredMethods()) {
            if (m.getName().equals(methodName)) {
                method = m;
            }
        }
        if (method == null) {
            System.err.println("FuzzMain: no method " + methodName + " in " + className);
            System.exit(2);
        }
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectMethod(testClass, method))
                .build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(request, listener);
        TestExecutionSummary summary = listener.getSummary();
        summary.printTo(new PrintWriter(System.out, true));
        if (summary.getTotalFailureCount() > 0) {
            summary.printFailuresTo(new PrintWriter(System.out, true), 40);
            System.exit(1);
        }
        System.exit(summary.getTestsSucceededCount() > 0 ? 0 : 2);
    }
}
