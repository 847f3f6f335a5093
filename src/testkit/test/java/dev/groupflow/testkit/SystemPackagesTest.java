package dev.groupflow.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The message a test gives when a Debian package it needs is missing. */
class SystemPackagesTest {
    @Test
    void aMissingToolIsNamedWithItsPackageAndHowToInstallIt() {
        Map<Path, String> tools = new LinkedHashMap<>();
        tools.put(Path.of("/nonexistent/bin/bwrap"), "bubblewrap");
        tools.put(Path.of("/bin/sh"), "dash");
        tools.put(Path.of("/nonexistent/bin/prlimit"), "util-linux");
        tools.put(Path.of("/nonexistent/bin/setpriv"), "util-linux");
        String message = SystemPackages.problem(tools).orElseThrow();
        assertEquals("this test needs Debian's bubblewrap util-linux (/nonexistent/bin/bwrap is missing,"
                + " /nonexistent/bin/prlimit is missing, /nonexistent/bin/setpriv is missing): run the tests with"
                + " bin/test, which installs what is missing, or install it yourself:"
                + " sudo apt-get install -y bubblewrap util-linux", message);
    }

    @Test
    void nothingIsReportedWhenEveryToolIsThere() {
        assertEquals(Optional.empty(), SystemPackages.problem(Map.of(Path.of("/bin/sh"), "dash")));
    }

    @Test
    void aFileThatIsNotExecutableCountsAsMissing() {
        // /etc/passwd exists on every Linux but is no program
        assertTrue(SystemPackages.problem(Map.of(Path.of("/etc/passwd"), "x")).isPresent());
    }
}
