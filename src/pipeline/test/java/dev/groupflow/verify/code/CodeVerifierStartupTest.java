package dev.groupflow.verify.code;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.groupflow.testkit.SystemPackages;
import dev.groupflow.verify.Reward;
import dev.groupflow.verify.VerifyRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The verifier refuses to start without a working sandbox unless allow-unsandboxed is set. */
class CodeVerifierStartupTest {
    /** Hang guard only: no duration is asserted. */
    private static final Duration HANG_GUARD = Duration.ofSeconds(60);

    @Test
    void refusesToStartWhenBubblewrapIsMissing() {
        CodeVerifierSettings s = CodeVerifierSettings.defaults().withBwrap(Path.of("/nonexistent/bin/bwrap"));
        CodeVerifier.SandboxUnavailableException e =
                assertThrows(CodeVerifier.SandboxUnavailableException.class, () -> new CodeVerifier(s));
        assertTrue(e.getMessage().contains("bubblewrap not found at /nonexistent/bin/bwrap"), e.getMessage());
        assertTrue(e.getMessage().contains("allow-unsandboxed"), e.getMessage());
    }

    @Test
    void refusesToStartWhenPythonIsMissingAndNamesThePackagesToInstall() {
        // everything else is there, so the missing python is what is reported
        CodeVerifierSettings tools = CodeVerifierSettings.defaults();
        SystemPackages.requireCodeSandbox(tools.bwrap(), tools.python(), tools.prlimit(), tools.setpriv());
        CodeVerifierSettings s = CodeVerifierSettings.fromConfig(
                ConfigFactory.parseString("python = \"/nonexistent/bin/python3\""));
        CodeVerifier.SandboxUnavailableException e =
                assertThrows(CodeVerifier.SandboxUnavailableException.class, () -> new CodeVerifier(s));
        assertTrue(e.getMessage().contains("python not found at /nonexistent/bin/python3"), e.getMessage());
        assertTrue(e.getMessage().contains("apt-get install -y bubblewrap python3 util-linux"), e.getMessage());
    }

    @Test
    void refusesToStartWhenTheSandboxFailsItsSelfTest() {
        SystemPackages.requirePython(CodeVerifierSettings.defaults().python());
        // a "bwrap" that exists but builds no sandbox
        CodeVerifierSettings s = CodeVerifierSettings.defaults().withBwrap(Path.of("/bin/false"));
        CodeVerifier.SandboxUnavailableException e = assertTimeoutPreemptively(HANG_GUARD,
                () -> assertThrows(CodeVerifier.SandboxUnavailableException.class, () -> new CodeVerifier(s)));
        assertTrue(e.getMessage().contains("self-test"), e.getMessage());
    }

    @Test
    void runsUnsandboxedOnlyWhenExplicitlyAllowed() {
        SystemPackages.requirePython(CodeVerifierSettings.defaults().python());
        // only a benign program runs here: hostile ones run only in the sandbox
        CodeVerifierSettings s = CodeVerifierSettings.defaults().withBwrap(Path.of("/nonexistent/bin/bwrap"))
                .withAllowUnsandboxed(true);
        CodeVerifier v = new CodeVerifier(s);
        try {
            assertFalse(v.sandboxed());
            Reward ok = assertTimeoutPreemptively(HANG_GUARD, () -> v.score(new VerifyRequest("p",
                    "def add(a, b):\n    return a + b\n", null, Map.of("test_code", "assert add(2, 3) == 5\n")))
                    .toCompletableFuture().get());
            assertEquals(1.0, ok.value(), ok.toString());
            Reward wrong = assertTimeoutPreemptively(HANG_GUARD, () -> v.score(new VerifyRequest("p",
                    "print(int(input()) + 1)", null, Map.of("tests", List.of(
                            Map.of("input", "1\n", "output", "3\n"))))).toCompletableFuture().get());
            assertEquals(0.0, wrong.value(), wrong.toString());
        } finally {
            v.close();
        }
    }

    @Test
    void verifiersAliveAtTheSameTimeNeverShareAUid() {
        Assumptions.assumeTrue(Sandbox.currentUid() == 0, "uids are per slot only when the JVM runs as root");
        CodeVerifierSettings tools = CodeVerifierSettings.defaults();
        SystemPackages.requireCodeSandbox(tools.bwrap(), tools.python(), tools.prlimit(), tools.setpriv());
        CodeVerifier a = new CodeVerifier(CodeVerifierSettings.defaults());
        try {
            CodeVerifier b = new CodeVerifier(CodeVerifierSettings.defaults());
            try {
                Set<Integer> all = new HashSet<>();
                for (int uid : a.uids()) {
                    all.add(uid);
                }
                for (int uid : b.uids()) {
                    assertTrue(all.add(uid), "uid " + uid + " claimed twice");
                }
                assertEquals(4, all.size());
            } finally {
                b.close();
            }
        } finally {
            a.close();
        }
    }

    @Test
    void closingFailsCallsInFlightAndQueuedRatherThanScoringThemZero() throws Exception {
        CodeVerifierSettings tools = CodeVerifierSettings.defaults();
        SystemPackages.requireCodeSandbox(tools.bwrap(), tools.python(), tools.prlimit(), tools.setpriv());
        CodeVerifier v = new CodeVerifier(CodeVerifierSettings.defaults());
        assertTrue(v.sandboxed());
        List<CompletableFuture<Reward>> calls = new ArrayList<>();
        for (int i = 0; i < 4; i++) { // 2 running (max-concurrent 2), 2 queued
            calls.add(v.score(new VerifyRequest("p", "import time\ntime.sleep(3)\n", null,
                    Map.of("tests", List.of(Map.of("output", ""))))).toCompletableFuture());
        }
        Thread.sleep(300); // let two start; either way every call must fail
        v.close();
        for (CompletableFuture<Reward> f : calls) {
            ExecutionException e = assertTimeoutPreemptively(HANG_GUARD,
                    () -> assertThrows(ExecutionException.class, f::get));
            assertTrue(e.getCause() != null, e.toString());
        }
        assertThrows(ExecutionException.class, () -> v.score(new VerifyRequest("p", "print()", null,
                Map.of("tests", List.of(Map.of("output", ""))))).toCompletableFuture().get());
        // the interrupted workers still cleaned up behind their sandboxes
        assertTimeoutPreemptively(HANG_GUARD, () -> {
            while (!HostProcesses.sandboxLeftovers().isEmpty() || !HostProcesses.cgroupLeftovers().isEmpty()) {
                Thread.sleep(50); // cleanup finishes on the worker threads after close() returned
            }
        });
    }
}
