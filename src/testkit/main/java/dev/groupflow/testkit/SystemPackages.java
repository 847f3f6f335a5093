package dev.groupflow.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The Debian packages some tests need beyond JDK 17. {@code bin/test} installs what is missing before it runs
 * the suite; a test run another way ({@code ./mvnw test}, an IDE) on a machine without them fails at its first
 * line with a message that names the package and how to install it, not with an error from deep inside the code
 * under test. These tests fail rather than skip: a suite that silently skips the sandbox tests proves nothing.
 */
public final class SystemPackages {
    private SystemPackages() {}

    /**
     * The code verifier's sandbox: bubblewrap, python3 and util-linux at the given paths (the code verifier's
     * default settings' paths, {@code CodeVerifierSettings.defaults()}).
     */
    public static void requireCodeSandbox(Path bwrap, Path python, Path prlimit, Path setpriv) {
        Map<Path, String> tools = new LinkedHashMap<>();
        tools.put(bwrap, "bubblewrap");
        tools.put(python, "python3");
        tools.put(prlimit, "util-linux");
        tools.put(setpriv, "util-linux");
        problem(tools).ifPresent(SystemPackages::fail);
    }

    /** Python at {@code python}, which runs the programs the code verifier scores (with or without the sandbox). */
    public static void requirePython(Path python) {
        problem(Map.of(python, "python3")).ifPresent(SystemPackages::fail);
    }

    /** The browser for the dashboard's test: {@code $CHROMIUM}, else chromium (or similar) on the PATH. */
    public static Path requireChromium() {
        return HeadlessChromium.binary().orElseThrow(() -> new AssertionError(message(Set.of("chromium"),
                List.of("no chromium, chromium-browser or google-chrome on the PATH"))
                + " (or set CHROMIUM=/path/to/a/chromium)"));
    }

    /** The failure message for the tools (path to Debian package) that are not executable; empty when all are. */
    static Optional<String> problem(Map<Path, String> tools) {
        Set<String> packages = new LinkedHashSet<>();
        List<String> missing = new ArrayList<>();
        tools.forEach((path, pkg) -> {
            if (!Files.isExecutable(path)) {
                packages.add(pkg);
                missing.add(path + " is missing");
            }
        });
        return packages.isEmpty() ? Optional.empty() : Optional.of(message(packages, missing));
    }

    private static String message(Set<String> packages, List<String> missing) {
        String names = String.join(" ", packages);
        return "this test needs Debian's " + names + " (" + String.join(", ", missing) + "): run the tests with"
                + " bin/test, which installs what is missing, or install it yourself: sudo apt-get install -y "
                + names;
    }

    private static void fail(String message) {
        throw new AssertionError(message);
    }
}
