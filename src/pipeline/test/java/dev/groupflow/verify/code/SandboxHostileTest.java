package dev.groupflow.verify.code;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.groupflow.testkit.SystemPackages;
import dev.groupflow.verify.Outcome;
import dev.groupflow.verify.Reward;
import dev.groupflow.verify.VerifierCalls;
import dev.groupflow.verify.VerifyRequest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hostile programs through the code verifier, in the real sandbox: each is contained and scored 0, the host is
 * untouched afterwards. Hang guards: {@code assertTimeoutPreemptively} with 60 s per call, far above the verifier's
 * own limits (they only turn a hang into a failure instead of a stuck build; nothing here asserts a duration).
 */
class SandboxHostileTest {
    /** Hang guard only (see the class comment). */
    private static final Duration HANG_GUARD = Duration.ofSeconds(60);

    private static CodeVerifier verifier;

    @BeforeAll
    static void start() {
        CodeVerifierSettings tools = CodeVerifierSettings.defaults();
        SystemPackages.requireCodeSandbox(tools.bwrap(), tools.python(), tools.prlimit(), tools.setpriv());
        verifier = new CodeVerifier(CodeVerifierSettings.fromConfig(ConfigFactory.parseString("""
                wall-timeout = 15s
                test-timeout = 2s
                cpu-seconds = 1
                memory = 256M
                max-processes = 16
                max-output = 64K
                tmp-size = 8M
                max-file-size = 1M
                """)));
        assertTrue(verifier.sandboxed());
    }

    @AfterAll
    static void stop() {
        if (verifier != null) {
            verifier.close();
        }
        assertEquals(List.of(), HostProcesses.sandboxLeftovers(), "sandbox processes survived");
        assertEquals(List.of(), HostProcesses.cgroupLeftovers(), "per-sandbox cgroups left behind");
    }

    static Reward asserts(String program, String testCode) {
        return score(program, Map.of("test_code", testCode));
    }

    static Reward stdio(String program, String... inputOutput) {
        List<Object> tests = new ArrayList<>();
        for (int i = 0; i < inputOutput.length; i += 2) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("input", inputOutput[i]);
            t.put("output", inputOutput[i + 1]);
            tests.add(t);
        }
        return score(program, Map.of("tests", tests));
    }

    static Reward score(String completion, Map<String, Object> metadata) {
        Reward r = assertTimeoutPreemptively(HANG_GUARD, () -> verifier
                .score(new VerifyRequest("prompt", completion, null, metadata)).toCompletableFuture().get());
        System.out.println("reward " + r.value() + ": " + r.details()); // in target/surefire-reports/*-output.txt
        return r;
    }

    static void assertZero(Reward r) {
        assertEquals(0.0, r.value(), () -> "expected reward 0, got " + r);
    }

    static void assertOne(Reward r) {
        assertEquals(1.0, r.value(), () -> "expected reward 1, got " + r);
    }

    private static final String ADD_TESTS = "assert add(1, 2) == 3\nassert add(-5, 5) == 0\nassert add(10, 20) == 30\n";

    // ---------------------------------------------------------------------------------------------- honest programs

    @Test
    void correctProgramScoresOneWithTestCode() {
        Reward r = asserts("Here you go:\n```python\ndef add(a, b):\n    return a + b\n```\n", ADD_TESTS);
        assertOne(r);
        assertEquals(3.0, r.components().get("tests_total"));
    }

    @Test
    void correctProgramScoresOneWithStdinStdoutTests() {
        String program = "```python\nimport sys\nnums = list(map(int, sys.stdin.read().split()))\n"
                + "print(sum(nums))   \nprint('done')\n```";
        assertOne(stdio(program, "1 2 3\n", "6\ndone\n", "", "0\ndone", "10 -10\n", "0  \ndone\n\n\n"));
    }

    @Test
    void wrongProgramsScoreZero() {
        Reward r = asserts("def add(a, b):\n    return a - b\n", ADD_TESTS);
        assertZero(r);
        assertTrue(r.details().contains("AssertionError"), r.details());
        assertZero(stdio("print(int(input()) + 1)", "1\n", "2\n", "2\n", "4\n"));
        assertZero(stdio("print(int(input()) * 2)", "x\n", "2\n")); // a crash is not a pass
    }

    @Test
    void classesGeneratorsAndInPlaceMutationWorkAcrossTheProcessBoundary() {
        String program = """
                import math
                from dataclasses import dataclass
                class Solution:
                    def twoSum(self, nums, target):
                        seen = {}
                        for i, x in enumerate(nums):
                            if target - x in seen:
                                return [seen[target - x], i]
                            seen[x] = i
                def squares(n):
                    for i in range(n):
                        yield i * i
                def sort_in_place(a):
                    a.sort()
                def fact(n):
                    return math.factorial(n)
                def fail(x):
                    if x < 0:
                        raise ValueError("negative")
                    return x
                """;
        String tests = """
                assert Solution().twoSum([2, 7, 11, 15], 9) == [0, 1]
                assert list(squares(5)) == [0, 1, 4, 9, 16]
                a = [3, 1, 2]
                sort_in_place(a)
                assert a == [1, 2, 3]
                assert fact(30) == 265252859812191058636308480000000
                try:
                    fail(-1)
                    assert False, "no error"
                except ValueError:
                    pass
                from solution import fact as f2
                assert f2(5) == 120
                """;
        assertOne(asserts(program, tests));
    }

    @Test
    void humanEvalStyleChecksLargeInputsAndChattyProgramsWork() {
        String tests = """
                METADATA = {"author": "x"}
                def check(candidate):
                    assert candidate([1, 2, 3]) == 6
                    assert abs(candidate([0.1, 0.2]) - 0.3) < 1e-9
                    assert candidate([]) == 0
                check(total)
                """;
        assertOne(asserts("def total(xs):\n    print('debugging', xs)\n    return sum(xs)\n", tests));
        String big = "7\n".repeat(200_000); // 400 KB of input, more than a pipe holds
        assertOne(stdio("import sys\nprint(sum(map(int, sys.stdin.read().split())))\nprint('x' * 40000)\n",
                big, "1400000\n" + "x".repeat(40_000) + "\n"));
    }

    // ---------------------------------------------------------------------------------------------- escaping

    @Test
    void noNetworkNotEvenToTheHostsLoopback() throws IOException {
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            List<String> targets = new ArrayList<>(List.of("127.0.0.1", "localhost"));
            for (NetworkInterface nif : NetworkInterface.networkInterfaces().toList()) {
                nif.inetAddresses().filter(a -> a.getAddress().length == 4)
                        .forEach(a -> targets.add(a.getHostAddress()));
            }
            StringBuilder list = new StringBuilder();
            for (String t : targets) {
                list.append(list.length() == 0 ? "" : ", ").append('"').append(t).append('"');
            }
            String program = """
                    import socket
                    def probe():
                        for host in [%s]:
                            try:
                                s = socket.create_connection((host, %d), timeout=1)
                                s.sendall(b"escaped")
                                return "connected"
                            except OSError:
                                pass
                        return "isolated"
                    """.formatted(list, server.getLocalPort());
            Reward r = asserts(program, "assert probe() == 'connected'\n");
            assertZero(r);
            assertTrue(r.details().contains("AssertionError"), r.details());
            server.setSoTimeout(200); // only to empty the accept queue: a connection made during the run waits there
            assertThrows(SocketTimeoutException.class, server::accept, "the sandbox reached the host's listener");
        }
    }

    @Test
    void cannotReadSecretsOrWriteOutsideItsTemp() throws IOException {
        String secret = "secret-" + UUID.randomUUID();
        Path tmpSecret = Files.writeString(Path.of("/tmp", "groupflow-secret-" + UUID.randomUUID()), secret);
        Path home = Path.of(System.getProperty("user.home"));
        Path homeSecret = Files.writeString(home.resolve(".groupflow-secret-" + UUID.randomUUID()), secret);
        String escape = "groupflow-escape-" + UUID.randomUUID();
        List<Path> escapes = List.of(Path.of("/tmp", escape), home.resolve(escape), Path.of("/usr", escape),
                Path.of("/var/tmp", escape));
        try {
            String program = """
                    import os
                    def read_secret():
                        for p in [%s]:
                            for prefix in ["", "/proc/self/root", "/proc/1/root", "/proc/1/cwd/.."]:
                                try:
                                    with open(prefix + p) as f:
                                        return f.read()
                                except OSError:
                                    pass
                        return "no secret"
                    def write_out():
                        wrote = 0
                        for p in [%s]:
                            try:
                                os.makedirs(os.path.dirname(p), exist_ok=True)
                                with open(p, "w") as f:
                                    f.write("escaped")
                                wrote += 1
                            except OSError:
                                pass
                        return wrote
                    """.formatted(quoted(List.of(tmpSecret, homeSecret)), quoted(escapes));
            Reward r = asserts(program, "assert write_out() >= 0\nassert read_secret() == '" + secret + "'\n");
            assertZero(r); // the reward would be 1 had a secret been readable
            assertTrue(r.details().contains("statement 2"), r.details()); // the writes ran (into the sandbox)
            for (Path p : escapes) {
                assertFalse(Files.exists(p), "the sandbox wrote " + p);
            }
        } finally {
            Files.deleteIfExists(tmpSecret);
            Files.deleteIfExists(homeSecret);
            for (Path p : escapes) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void theSystemIsReadOnlyAndTheTempDirectoriesAreSmall() {
        String program = """
                import os
                def writable():
                    found = []
                    for d in ["/", "/dev", "/usr", "/usr/lib", "/h", "/proc", "/bin", "/etc"]:
                        try:
                            with open(os.path.join(d, "groupflow-write-probe"), "w") as f:
                                f.write("x")
                            found.append(d)
                        except OSError:
                            pass
                    return found
                def fill(d):
                    written = 0
                    try:
                        for i in range(64):
                            with open(os.path.join(d, "fill-%d" % i), "wb") as f:
                                for _ in range(16):
                                    f.write(b"x" * 65536)
                                    written += 65536
                    except OSError:
                        pass
                    return written
                """;
        // reward 1 iff nothing outside the temp dirs was writable and each temp dir stopped at its size (8M here)
        assertOne(asserts(program, "assert writable() == []\nassert fill('/tmp') <= 8 << 20\n"
                + "assert fill('/dev/shm') <= 8 << 20\nassert 0 < fill('/tmp/again') or True\n"));
    }

    private static String quoted(List<Path> paths) {
        StringBuilder sb = new StringBuilder();
        for (Path p : paths) {
            sb.append(sb.length() == 0 ? "" : ", ").append('"').append(p).append('"');
        }
        return sb.toString();
    }

    @Test
    void harnessMemoryAndDescriptorsAreOutOfReach() {
        // the harness (pid 1 in the sandbox) holds the key: its memory, fds and environment must be unreadable,
        // ptrace refused, and signals from the program ignored
        String program = """
                import ctypes, gc, os, signal
                def steal():
                    got = []
                    for p in ["/proc/1/mem", "/proc/1/environ", "/proc/1/fd/0", "/proc/1/fd/1", "/proc/1/fd/3",
                              "/proc/1/maps", "/proc/1/root/h/harness.py"]:
                        try:
                            with open(p, "rb") as f:
                                got.append(f.read(64))
                        except OSError:
                            pass
                    libc = ctypes.CDLL(None, use_errno=True)
                    if libc.ptrace(16, 1, 0, 0) == 0:
                        got.append(b"ptrace")
                    for sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGSTOP):
                        try:
                            os.kill(1, sig)
                        except OSError:
                            pass
                    return len(got)
                """;
        Reward r = asserts(program, "assert steal() == 0\n");
        assertOne(r); // nothing was readable, and the harness outlived the signals to report it
    }

    // ---------------------------------------------------------------------------------------------- resources

    @Test
    void forkBombIsContained() {
        String program = """
                import os
                def add(a, b):
                    return a + b
                while True:
                    try:
                        os.fork()
                    except OSError:
                        pass
                """;
        long before = HostProcesses.count();
        Reward r = asserts(program, ADD_TESTS);
        assertZero(r);
        assertEquals(List.of(), HostProcesses.sandboxLeftovers(), "sandbox processes survived");
        long after = HostProcesses.count();
        assertTrue(after < before + 100, "host process count went from " + before + " to " + after);
    }

    @Test
    void tenGigabyteAllocationFailsFast() {
        String program = """
                def allocate():
                    try:
                        block = bytearray(10 * 1024 ** 3)
                        return len(block)
                    except MemoryError:
                        return "MemoryError"
                """;
        Reward r = asserts(program, "assert allocate() == 10 * 1024 ** 3\n");
        assertZero(r);
        assertTrue(r.details().contains("AssertionError"), r.details()); // it returned: the allocation failed, fast
        assertZero(stdio("x = bytearray(10 * 1024 ** 3)\nprint(len(x))", "", "10737418240\n"));
        assertZero(stdio("xs = []\nwhile True:\n    xs.append(bytearray(1 << 20))\n", "", ""));
    }

    @Test
    void endlessOutputHitsTheCapAndIsKilled() {
        Reward r = stdio("while True:\n    print('y' * 1000)\n", "", "y\n");
        assertZero(r);
        assertTrue(r.details().contains("output limit"), r.details());
        Reward e = stdio("import sys\nwhile True:\n    sys.stderr.write('e' * 1000)\n", "", "");
        assertZero(e);
        assertTrue(e.details().contains("output limit"), e.details());
        Reward a = asserts("def add(a, b):\n    return a + b\nwhile True:\n    print('z' * 1000)\n", ADD_TESTS);
        assertZero(a);
        assertTrue(a.details().contains("output limit"), a.details());
    }

    @Test
    void infiniteLoopsAreKilledAtTheCpuOrTimeLimit() {
        Reward cpu = stdio("while True:\n    pass\n", "", "");
        assertZero(cpu);
        assertTrue(cpu.details().contains("signal") || cpu.details().contains("time limit"), cpu.details());
        Reward sleep = stdio("import time\ntime.sleep(3600)\n", "", "");
        assertZero(sleep);
        assertTrue(sleep.details().contains("time limit"), sleep.details());
    }

    @Test
    void infiniteLoopsInCalledFunctionsAreKilledEvenWhenIgnoringSignals() {
        Reward call = asserts("def add(a, b):\n    while True:\n        pass\n", ADD_TESTS);
        assertZero(call);
        Reward ignoresSignals = asserts("""
                import signal
                for s in (signal.SIGXCPU, signal.SIGTERM, signal.SIGALRM, signal.SIGINT):
                    signal.signal(s, signal.SIG_IGN)
                def add(a, b):
                    while True:
                        pass
                """, ADD_TESTS);
        assertZero(ignoresSignals);
    }

    @Test
    void daemonsDoNotOutliveTheRun() {
        String marker = "groupflow-daemon-" + UUID.randomUUID();
        String program = """
                import os, sys, time
                def add(a, b):
                    return a + b
                if os.fork() == 0:
                    os.setsid()
                    if os.fork() == 0:
                        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(600)", "%s"])
                    os._exit(0)
                time.sleep(0.3)
                """.formatted(marker);
        assertOne(asserts(program, ADD_TESTS)); // a correct program; its daemon must still die with the sandbox
        assertZero(stdio(program + "print(add(1, 2))\n", "", "4\n"));
        assertEquals(List.of(), HostProcesses.withMarker(marker), "a daemon survived the sandbox");
        assertEquals(List.of(), HostProcesses.sandboxLeftovers(), "sandbox processes survived");
    }

    @Test
    void outputPrintedByAChildAfterTheProgramExitedDoesNotCount() {
        String program = """
                import os, time
                if os.fork() == 0:
                    time.sleep(1)
                    print(42, flush=True)
                    os._exit(0)
                """;
        assertZero(stdio(program, "", "42\n"));
    }

    @Test
    void memorySpreadOverManyProcessesIsCappedByTheCgroup() {
        Cgroups cgroups = Cgroups.detect();
        Assumptions.assumeTrue(cgroups != null && cgroups.limitsMemory(), "no cgroup memory controller here");
        // 12 processes x 200 MB: each under RLIMIT_AS (256M), together far above the sandbox's cgroup (592M)
        String program = """
                import os
                def hog():
                    r, w = os.pipe()
                    for _ in range(12):
                        if os.fork() == 0:
                            try:
                                block = b"x" * (200 << 20)
                                os.write(w, b"+")
                                import time
                                time.sleep(0.5)
                            finally:
                                os._exit(0)
                    os.close(w)
                    got = b""
                    while True:
                        b = os.read(r, 64)
                        if not b:
                            return len(got)
                        got += b
                """;
        assertZero(asserts(program, "n = hog()\nassert n == 12, n\n"));
        assertEquals(List.of(), HostProcesses.sandboxLeftovers(), "sandbox processes survived");
    }

    @Test
    void theTestsAndExpectedOutputsNeverEnterTheProgramsReach() {
        String token = "tok-" + UUID.randomUUID();
        String search = """
                import os, re
                TOKEN = re.compile(rb"tok-[0-9a-f-]{36}")
                def read(path):
                    try:
                        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
                        try:
                            return os.read(fd, 1 << 20)
                        finally:
                            os.close(fd)
                    except OSError:
                        return b""
                def find():
                    blobs = []
                    for pid in os.listdir("/proc"):
                        if pid.isdigit() and pid != str(os.getpid()):
                            for name in ("cmdline", "environ"):
                                blobs.append(read("/proc/%s/%s" % (pid, name)))
                            try:
                                for fd in os.listdir("/proc/%s/fd" % pid):
                                    blobs.append(read("/proc/%s/fd/%s" % (pid, fd)))
                            except OSError:
                                pass
                    for root in ["/tmp", "/dev/shm", "/h", "/etc", "/root", "/home"]:
                        for d, _, files in os.walk(root):
                            for f in files:
                                blobs.append(read(os.path.join(d, f)))
                    blobs.append(repr(dict(os.environ)).encode())
                    for blob in blobs:
                        m = TOKEN.search(blob)
                        if m:
                            return m.group().decode()
                    return "nothing"
                """;
        // the reward would be 1 had the program found the token, which only the tests hold
        assertZero(asserts(search, "TOKEN = '" + token + "'\nassert find() == TOKEN\n"));
        assertZero(stdio(search + "print(find())\n", "", token + "\n"));
    }

    @Test
    void aForkBombDoesNotStarveAnotherSandboxRunningAtTheSameTime() throws Exception {
        Assumptions.assumeTrue(Sandbox.currentUid() == 0, "separate uids per slot need root");
        var bomb = verifier.score(new VerifyRequest("p", "import os\nwhile True:\n    try:\n        os.fork()\n"
                + "    except OSError:\n        pass\n", null, Map.of("tests", List.of(Map.of("output", "")))));
        Reward honest = asserts("""
                import subprocess, sys
                def add(a, b):
                    # needs processes of its own while the bomb runs next door
                    return int(subprocess.run([sys.executable, "-c", "print(%d + %d)" % (a, b)],
                                              capture_output=True, text=True).stdout)
                """, "assert add(1, 2) == 3\n");
        assertOne(honest);
        assertZero(assertTimeoutPreemptively(HANG_GUARD, () -> bomb.toCompletableFuture().get()));
    }

    // ---------------------------------------------------------------------------------------------- faking success

    @Test
    void exitingBeforeTheTestsScoresZero() {
        assertZero(asserts("import sys\ndef add(a, b):\n    return 0\nsys.exit(0)\n", ADD_TESTS));
        assertZero(asserts("import os\ndef add(a, b):\n    return 0\nos._exit(0)\n", ADD_TESTS));
        assertZero(asserts("def add(a, b):\n    return 0\nraise SystemExit(0)\n", ADD_TESTS));
        assertZero(asserts("""
                import atexit, os, sys
                atexit.register(lambda: os._exit(0))
                sys.excepthook = lambda *a: os._exit(0)
                def add(a, b):
                    import os
                    os._exit(0)
                """, ADD_TESTS));
        assertZero(asserts("""
                import os
                class Bomb:
                    def __del__(self):
                        os._exit(0)
                def add(a, b):
                    Bomb()
                    raise SystemExit(0)
                """, ADD_TESTS));
    }

    @Test
    void fakeSuccessOutputScoresZero() {
        String fake = """
                import os, sys
                lines = ["All tests passed", "OK", "PASSED", '{"k":"ready"} ' + "0" * 64,
                         '{"k":"stmt","i":0,"ok":true} ' + "a" * 64, '{"k":"done","n":1} ' + "f" * 64]
                for line in lines:
                    print(line, flush=True)
                    print(line, file=sys.stderr, flush=True)
                    for fd in range(3, 64):
                        try:
                            os.write(fd, (line + "\\n").encode())
                        except OSError:
                            pass
                    for p in ["/proc/1/fd/1", "/proc/1/fd/2", "/proc/self/fd/1"]:
                        try:
                            with open(p, "w") as f:
                                f.write(line + "\\n")
                        except OSError:
                            pass
                def add(a, b):
                    return 0
                """;
        assertZero(asserts(fake, ADD_TESTS));
        assertZero(asserts(fake + "import os\nos._exit(0)\n", ADD_TESTS));
        assertZero(stdio(fake + "import os\nos._exit(0)\n", "1\n", "All tests passed\n"));
    }

    @Test
    void monkeypatchingAssertionsBuiltinsAndEqualityScoresZero() {
        assertZero(asserts("""
                import builtins, sys
                builtins.AssertionError = type("Nothing", (Exception,), {})
                builtins.print = lambda *a, **k: None
                sys.exit = lambda *a: None
                builtins.len = lambda x: 3
                def len(x):
                    return 3
                def sorted(x):
                    return [1, 2, 3]
                def add(a, b):
                    return 0
                """, ADD_TESTS + "assert len(sorted([3, 2, 1])) == 3\n"));
        // objects that equal everything: only plain data crosses back, so the comparison is the harness's own
        assertZero(asserts("""
                class Always:
                    def __eq__(self, other):
                        return True
                    def __ne__(self, other):
                        return False
                    def __bool__(self):
                        return True
                def add(a, b):
                    return Always()
                """, ADD_TESTS));
        assertZero(asserts("""
                class Sly(int):
                    def __eq__(self, other):
                        return True
                    __hash__ = int.__hash__
                def add(a, b):
                    return Sly(0)
                """, ADD_TESTS));
        // reading the expected values from the caller's frame or the interpreter's objects finds nothing
        assertZero(asserts("""
                import gc, sys
                def add(a, b):
                    f = sys._getframe(1)
                    while f is not None:
                        for v in list(f.f_code.co_consts) + list(f.f_locals.values()):
                            if isinstance(v, int) and v not in (a, b) and v != 0:
                                return v
                        f = f.f_back
                    return -1
                """, ADD_TESTS));
    }

    @Test
    void signalsAndKillsCannotTurnAFailureIntoAPass() {
        assertZero(asserts("""
                import os, signal
                def add(a, b):
                    for sig in (signal.SIGALRM, signal.SIGINT, signal.SIGUSR1, signal.SIGTERM, signal.SIGKILL):
                        try:
                            os.kill(1, sig)
                            os.kill(os.getppid(), sig)
                        except OSError:
                            pass
                    os.kill(-1, signal.SIGKILL)
                    return 0
                """, ADD_TESTS));
    }

    // ---------------------------------------------------------------------------------------------- outcomes

    @Test
    void badRowsAreFailuresNotZeros() throws Exception {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        try {
            VerifierCalls calls = new VerifierCalls(verifier, Duration.ofSeconds(30), 0, Duration.ofMillis(1),
                    scheduler);
            Outcome none = calls.call(new VerifyRequest("p", "print(1)", null, Map.of())).toCompletableFuture()
                    .get();
            assertEquals(Outcome.Status.FAILED, none.status(), none.toString());
            Outcome syntax = calls.call(new VerifyRequest("p", "def f(): pass", null,
                    Map.of("test_code", "assert f( ==\n"))).toCompletableFuture().get();
            assertEquals(Outcome.Status.FAILED, syntax.status(), syntax.toString());
            Outcome zero = calls.call(new VerifyRequest("p", "def f(:", null,
                    Map.of("test_code", "assert f() == 1\n"))).toCompletableFuture().get();
            assertEquals(Outcome.Status.SCORED, zero.status(), zero.toString());
            assertEquals(0.0, ((Outcome.Scored) zero).reward());
            assertTrue(zero.detail().contains("SyntaxError"), zero.detail());
        } finally {
            scheduler.shutdownNow();
        }
    }

    @Test
    void missingTestsFailTheFuture() {
        var f = verifier.score(new VerifyRequest("p", "x", null, Map.of())).toCompletableFuture();
        ExecutionException e = assertThrows(ExecutionException.class, f::get);
        assertNotNull(e.getCause());
        assertTrue(e.getCause() instanceof IllegalArgumentException, e.toString());
    }
}
