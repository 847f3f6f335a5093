package dev.groupflow.verify.code;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.groupflow.verify.Reward;
import dev.groupflow.verify.Verifier;
import dev.groupflow.verify.VerifyRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the completion's Python program against the prompt row's tests in a sandbox (docs/code-verifier.md):
 * reward 1 only when every test demonstrably ran and passed, else 0. The program is the completion's last
 * python (or unmarked) fenced block, or the whole text; the tests are {@code metadata.test_code} and/or
 * {@code metadata.tests} ({@link CodeTests}).
 *
 * <p>Outcomes: a program that fails, misbehaves, hits a limit or tampers with the result channel gets reward 0. A
 * row without tests, test code that does not parse, or a sandbox that could not start completes exceptionally
 * (a failed outcome, never reward 0). Blocking work happens on this verifier's own threads ({@code
 * max-concurrent} of them); calls beyond that wait in a queue.
 *
 * <p>The constructor self-tests the sandbox and refuses to start ({@link SandboxUnavailableException}) when it
 * cannot be built, unless {@code allow-unsandboxed} is set.
 */
public final class CodeVerifier implements Verifier {
    private static final Logger LOG = LoggerFactory.getLogger(CodeVerifier.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final CodeVerifierSettings settings;
    private final Path harnessDir;
    private final Sandbox sandbox;
    private final ExecutorService workers;
    private final BlockingQueue<Integer> slots;
    private final Set<CompletableFuture<Reward>> pending = ConcurrentHashMap.newKeySet();

    /** The sandbox cannot be built here, and running unsandboxed was not allowed. */
    public static final class SandboxUnavailableException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        SandboxUnavailableException(String message) {
            super(message);
        }
    }

    /** The sandbox itself broke (not the program): a failed outcome. */
    static final class SandboxFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SandboxFailure(String message) {
            super(message);
        }
    }

    public CodeVerifier(CodeVerifierSettings settings) {
        this.settings = settings;
        int instance = INSTANCES.incrementAndGet();
        this.harnessDir = writeHarness(settings.workDir());
        boolean root = Sandbox.currentUid() == 0;
        Cgroups cgroups = null;
        String problem = missingTools(root);
        if (problem == null && !settings.cgroups().equals("off")) {
            cgroups = Cgroups.detect();
            if (cgroups == null && settings.cgroups().equals("required")) {
                problem = "cgroups = required, but the JVM cannot create child cgroups with the memory or pids "
                        + "controller";
            }
        }
        Sandbox candidate = null;
        if (problem == null) {
            try {
                candidate = new Sandbox(settings, harnessDir, true, root, cgroups);
                problem = selfTest(candidate);
            } catch (IOException e) {
                problem = "cannot claim sandbox uids: " + e;
            }
            if (problem != null && candidate != null) {
                candidate.close();
                candidate = null;
            }
        }
        if (candidate == null) {
            String message = "code verifier: the sandbox is unavailable: " + problem;
            if (!settings.allowUnsandboxed()) {
                Sandbox.deleteTree(harnessDir);
                throw new SandboxUnavailableException(message + ". Install what the sandbox needs (Debian: "
                        + "apt-get install -y bubblewrap python3 util-linux) and make sure user namespaces work, or "
                        + "set verifier.code.allow-unsandboxed = true to run untrusted programs WITHOUT isolation "
                        + "(unsafe).");
            }
            LOG.error("{}", "!".repeat(100));
            LOG.error("{}; verifier.code.allow-unsandboxed = true, so completions' programs run WITHOUT A SANDBOX "
                    + "as this JVM's user, with no network, filesystem or process isolation. Never do this with "
                    + "untrusted models or on a machine that matters.", message);
            LOG.error("{}", "!".repeat(100));
            try {
                candidate = new Sandbox(settings, harnessDir, false, root, null);
            } catch (IOException e) {
                throw new UncheckedIOException(e); // cannot happen: no uids are claimed unsandboxed
            }
        } else {
            LOG.info("code verifier: bubblewrap sandbox ready ({}{}; {} concurrent)",
                    root ? "uids " + Arrays.toString(candidate.uids()) : "the JVM's uid", cgroups == null ? ", rlimits only" : ", cgroups " + cgroups.describe(),
                    settings.maxConcurrent());
        }
        this.sandbox = candidate;
        this.slots = new ArrayBlockingQueue<>(settings.maxConcurrent());
        for (int i = 0; i < settings.maxConcurrent(); i++) {
            slots.add(i);
        }
        AtomicInteger threads = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(settings.maxConcurrent(), r -> {
            Thread t = new Thread(r, "code-verifier-" + instance + "-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Whether programs run in the sandbox (false only when allow-unsandboxed was needed). */
    public boolean sandboxed() {
        return sandbox.sandboxed();
    }

    /** The uids of this verifier's slots (when the JVM runs as root and programs run sandboxed). */
    int[] uids() {
        return sandbox.uids();
    }

    @Override
    public CompletionStage<Reward> score(VerifyRequest request) {
        CodeTests tests;
        try {
            tests = CodeTests.from(request.metadata());
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (request.completion() == null) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("no completion"));
        }
        String program = Programs.extract(request.completion());
        CompletableFuture<Reward> result = new CompletableFuture<>();
        pending.add(result);
        try {
            workers.execute(() -> {
                Integer slot = slots.poll();
                try {
                    if (slot == null) {
                        throw new IllegalStateException("no free sandbox slot"); // cannot happen: one per worker
                    }
                    result.complete(evaluate(sandbox, slot, program, tests));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    result.completeExceptionally(e);
                } catch (Throwable e) {
                    result.completeExceptionally(e);
                } finally {
                    if (slot != null) {
                        slots.add(slot);
                    }
                    pending.remove(result);
                }
            });
        } catch (RejectedExecutionException e) {
            pending.remove(result);
            result.completeExceptionally(new IllegalStateException("the code verifier is closed"));
        }
        return result;
    }

    private Reward evaluate(Sandbox sb, int slot, String program, CodeTests tests)
            throws IOException, InterruptedException {
        int total = 0;
        if (tests.testCode() != null) {
            Verdict v = runAsserts(sb, slot, program, tests.testCode());
            total += v.total();
            if (!v.passed()) {
                return zero(v.detail(), v.passedCount(), total + tests.outputs().size());
            }
        }
        if (!tests.outputs().isEmpty()) {
            Verdict v = runStdio(sb, slot, program, tests);
            total += v.total();
            if (!v.passed()) {
                return zero(v.detail(), total - v.total() + v.passedCount(), total);
            }
        }
        return new Reward(1.0, Map.of("tests_passed", (double) total, "tests_total", (double) total),
                "all " + total + " tests passed");
    }

    private static Reward zero(String detail, int passed, int total) {
        return new Reward(0.0, Map.of("tests_passed", (double) passed, "tests_total", (double) total), detail);
    }

    /** How one harness run went. */
    private record Verdict(boolean passed, int passedCount, int total, String detail) {
    }

    private Verdict runAsserts(Sandbox sb, int slot, String program, String testCode)
            throws IOException, InterruptedException {
        ObjectNode req = JSON.createObjectNode();
        req.put("mode", "asserts");
        req.put("program", program);
        req.put("test_code", testCode);
        long statementsBound = testCode.lines().count() + 1;
        Sandbox.Result r = sb.run(slot, req, 64 * 1024 + statementsBound * 2048);
        int bound = (int) Math.min(Integer.MAX_VALUE, statementsBound);
        Verdict early = channelProblems(r, bound);
        if (early != null) {
            return early;
        }
        JsonNode done = r.first("done");
        int n = done.path("n").asInt(-1);
        if (n < 1 || n > bound) {
            return new Verdict(false, 0, Math.max(n, 0), "the harness reported an impossible test count " + n);
        }
        JsonNode[] byIndex = new JsonNode[n];
        for (JsonNode s : r.all("stmt")) {
            int i = s.path("i").asInt(-1);
            if (i >= 0 && i < n && byIndex[i] == null) {
                byIndex[i] = s;
            }
        }
        for (int i = 0; i < n; i++) {
            JsonNode s = byIndex[i];
            if (s == null) {
                return new Verdict(false, i, n, "test statement " + (i + 1) + " of " + n + " did not run");
            }
            if (!s.path("ok").asBoolean(false)) {
                return new Verdict(false, i, n, "test statement " + (i + 1) + " of " + n + " (line "
                        + s.path("line").asInt() + ") failed: " + s.path("error").asText(""));
            }
        }
        return new Verdict(true, n, n, "passed");
    }

    private Verdict runStdio(Sandbox sb, int slot, String program, CodeTests tests)
            throws IOException, InterruptedException {
        ObjectNode req = JSON.createObjectNode();
        req.put("mode", "stdio");
        req.put("program", program);
        ArrayNode inputs = req.putArray("inputs");
        tests.inputs().forEach(inputs::add);
        int n = tests.outputs().size();
        long perRecord = settings.maxOutputBytes() * 4 / 3 + 16 * 1024;
        Sandbox.Result r = sb.run(slot, req, 64 * 1024 + (n + 2) * perRecord);
        Verdict early = channelProblems(r, n);
        if (early != null) {
            return early;
        }
        if (r.first("done").path("n").asInt(-1) != n) {
            return new Verdict(false, 0, n, "the harness reported a wrong test count");
        }
        JsonNode[] byIndex = new JsonNode[n];
        for (JsonNode t : r.all("test")) {
            int i = t.path("i").asInt(-1);
            if (i >= 0 && i < n && byIndex[i] == null) {
                byIndex[i] = t;
            }
        }
        for (int i = 0; i < n; i++) {
            JsonNode t = byIndex[i];
            String which = "test " + (i + 1) + " of " + n;
            if (t == null) {
                return new Verdict(false, i, n, which + " did not run");
            }
            String status = t.path("status").asText("");
            if (!status.equals("ok")) {
                String why = switch (status) {
                    case "timeout" -> "time limit exceeded";
                    case "output-limit" -> "output limit exceeded";
                    case "signal" -> "killed by signal " + (-t.path("code").asInt());
                    case "exit" -> "exit code " + t.path("code").asInt();
                    default -> status;
                };
                String err = lastLine(t.path("err").asText(""));
                return new Verdict(false, i, n, which + ": " + why + (err.isEmpty() ? "" : " (" + err + ")"));
            }
            byte[] out;
            try {
                out = Base64.getDecoder().decode(t.path("out").asText(""));
            } catch (IllegalArgumentException e) {
                return new Verdict(false, i, n, which + ": unreadable output");
            }
            String actual = new String(out, StandardCharsets.UTF_8);
            if (!CodeTests.normalise(actual).equals(CodeTests.normalise(tests.outputs().get(i)))) {
                return new Verdict(false, i, n, which + ": wrong answer");
            }
        }
        return new Verdict(true, n, n, "passed");
    }

    /**
     * Problems common to both modes, or null. No "ready" record: the harness never started, so the sandbox broke
     * (a failure, thrown). After it: anything amiss is the program's doing (reward 0).
     */
    private Verdict channelProblems(Sandbox.Result r, int total) {
        if (r.first("ready") == null) {
            throw new SandboxFailure("the sandbox did not start: " + r.describe());
        }
        JsonNode error = r.first("error");
        if (error != null) {
            throw new IllegalArgumentException(error.path("what").asText("the tests could not run"));
        }
        if (r.tampered()) {
            return new Verdict(false, 0, total, "the result channel carried lines the harness did not write");
        }
        if (r.channelOverflow()) {
            return new Verdict(false, 0, total, "the result channel exceeded its size limit");
        }
        if (r.first("done") == null) {
            return new Verdict(false, 0, total, r.wallKilled()
                    ? "wall-time limit (" + settings.wallTimeout().toMillis() + " ms) exceeded"
                    : "the harness did not finish (" + r.describe() + ")");
        }
        return null;
    }

    private static String lastLine(String text) {
        List<String> lines = text.strip().lines().toList();
        String last = lines.isEmpty() ? "" : lines.get(lines.size() - 1);
        return last.length() > 300 ? last.substring(0, 300) + "..." : last;
    }

    private String missingTools(boolean root) {
        if (!Files.isExecutable(settings.bwrap())) {
            return "bubblewrap not found at " + settings.bwrap();
        }
        if (!Files.isExecutable(settings.prlimit())) {
            return "prlimit (util-linux) not found at " + settings.prlimit();
        }
        if (root && !Files.isExecutable(settings.setpriv())) {
            return "setpriv (util-linux) not found at " + settings.setpriv() + " (needed to drop root)";
        }
        if (!Files.isExecutable(settings.python())) {
            return "python not found at " + settings.python();
        }
        return null;
    }

    /** Null when the sandbox holds: isolation probes, then one passing program per mode. */
    private String selfTest(Sandbox candidate) {
        try {
            ObjectNode req = JSON.createObjectNode();
            req.put("mode", "probe");
            req.put("program", "");
            Sandbox.Result r = candidate.run(0, req, 1 << 20);
            JsonNode probe = r.first("probe");
            if (r.first("ready") == null || probe == null) {
                return "self-test: the sandbox did not start (" + r.describe() + ")";
            }
            StringBuilder bad = new StringBuilder();
            if (!probe.path("ifaces").toString().equals("[\"lo\"]")) {
                bad.append("; network interfaces visible: ").append(probe.path("ifaces"));
            }
            if (!probe.path("net").asText().equals("unreachable")) {
                bad.append("; the network is reachable");
            }
            if (probe.path("read_only").size() != 4) {
                bad.append("; writable system directories (read-only are only ").append(probe.path("read_only"))
                        .append(')');
            }
            if (!probe.path("memory_limited").asBoolean()) {
                bad.append("; the memory limit does not hold");
            }
            if (!probe.path("fork_limited").asBoolean()) {
                bad.append("; the process limit does not hold (").append(probe.path("forks").asInt())
                        .append(" forks)");
            }
            if (probe.path("uid").asInt() == 0) {
                bad.append("; programs would run as uid 0");
            }
            if (bad.length() > 0) {
                return "self-test failed" + bad;
            }
            Reward asserts = evaluate(candidate, 0, "def f():\n    return 41 + 1\n",
                    new CodeTests("assert f() == 42\n", List.of(), List.of()));
            Reward stdio = evaluate(candidate, 0, "print(input()[::-1])\n", new CodeTests(null, List.of("abc\n"),
                    List.of("cba\n")));
            if (asserts.value() != 1.0 || stdio.value() != 1.0) {
                return "self-test: a correct program was not scored 1 (" + asserts.details() + "; "
                        + stdio.details() + ")";
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return "self-test: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "self-test interrupted";
        }
    }

    /** Copies harness.py and host.py into a fresh directory every slot uid can read (bound read-only). */
    private static Path writeHarness(Path workDir) {
        try {
            Files.createDirectories(workDir);
            Path dir = Files.createTempDirectory(workDir, "groupflow-code-harness-");
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            for (String name : List.of("harness.py", "host.py")) {
                try (InputStream in = CodeVerifier.class.getResourceAsStream(name)) {
                    if (in == null) {
                        throw new IllegalStateException("resource " + name + " missing from the build");
                    }
                    Path file = dir.resolve(name);
                    Files.write(file, in.readAllBytes());
                    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("code verifier: cannot write the harness into " + workDir, e);
        }
    }

    /** Stops the workers (killing running sandboxes) and removes the harness files. */
    @Override
    public void close() {
        workers.shutdownNow();
        for (CompletableFuture<Reward> f : pending) {
            f.completeExceptionally(new IllegalStateException("the code verifier was closed"));
        }
        sandbox.close();
        Sandbox.deleteTree(harnessDir);
    }
}
