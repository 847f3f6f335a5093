package dev.groupflow.verify.code;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Starts the harness (harness.py) in a bubblewrap sandbox, or, only where explicitly allowed, without one; feeds
 * it a request and returns the records it wrote whose HMAC (keyed with a fresh per-run secret) checks out.
 */
final class Sandbox implements AutoCloseable {
    /** Where the harness files are inside the sandbox. */
    static final String HARNESS_DIR = "/h";
    private static final String JOIN_CGROUPS =
            "while [ \"$1\" != -- ]; do echo $$ > \"$1\" || exit 125; shift; done; shift; exec \"$@\"";
    private static final int STDERR_TAIL = 8192;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    /** What came back from one harness run. */
    record Result(List<JsonNode> records, boolean tampered, boolean wallKilled, boolean channelOverflow,
                  int exitCode, String stderr) {
        JsonNode first(String kind) {
            for (JsonNode r : records) {
                if (r.path("k").asText().equals(kind)) {
                    return r;
                }
            }
            return null;
        }

        List<JsonNode> all(String kind) {
            return records.stream().filter(r -> r.path("k").asText().equals(kind)).toList();
        }

        String describe() {
            String tail = stderr.strip();
            if (tail.length() > 600) {
                tail = "..." + tail.substring(tail.length() - 600);
            }
            return (wallKilled ? "killed at the wall-time limit, " : "") + "exit code " + exitCode
                    + (tail.isEmpty() ? "" : ": " + tail);
        }
    }

    private final CodeVerifierSettings settings;
    private final Path harnessDir;
    private final boolean sandboxed;
    private final boolean root;
    private final Cgroups cgroups;
    private final ScheduledExecutorService watchdog;
    private final ExecutorService pumps;
    private final Set<Process> running = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    private final List<FileChannel> uidLocks = new ArrayList<>();
    private final int[] uids;

    Sandbox(CodeVerifierSettings settings, Path harnessDir, boolean sandboxed, boolean root, Cgroups cgroups)
            throws IOException {
        this.settings = settings;
        this.harnessDir = harnessDir;
        this.sandboxed = sandboxed;
        this.root = root;
        this.cgroups = cgroups;
        this.uids = sandboxed && root ? claimUids(settings) : new int[0];
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "code-sandbox-watchdog"));
        this.pumps = Executors.newCachedThreadPool(r -> daemon(r, "code-sandbox-stderr"));
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    boolean sandboxed() {
        return sandboxed;
    }

    /** The uid of a slot's sandboxes when the JVM runs as root. */
    int uid(int slot) {
        return uids[slot];
    }

    /** The uids this verifier's slots run as (root only; empty otherwise). */
    int[] uids() {
        return uids.clone();
    }

    /**
     * Claims one uid per slot from uid-base upwards, each by an exclusive lock on a file named after it that is held
     * until {@link #close()}: two verifiers, in this JVM or another on the same host, never share a uid (they would
     * share RLIMIT_NPROC, and each one's sweep would kill the other's processes).
     */
    private int[] claimUids(CodeVerifierSettings s) throws IOException {
        Path dir = s.workDir().resolve("groupflow-code-uids");
        Files.createDirectories(dir);
        int[] out = new int[s.maxConcurrent()];
        int next = s.uidBase();
        for (int slot = 0; slot < out.length; slot++) {
            while (true) {
                if (next - s.uidBase() >= 100_000) {
                    throw new IOException("no free sandbox uid from " + s.uidBase());
                }
                int uid = next++;
                FileChannel ch = FileChannel.open(dir.resolve(uid + ".lock"), StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE);
                FileLock lock;
                try {
                    lock = ch.tryLock();
                } catch (OverlappingFileLockException e) {
                    lock = null;
                }
                if (lock == null) {
                    ch.close();
                    continue;
                }
                uidLocks.add(ch);
                out[slot] = uid;
                break;
            }
        }
        return out;
    }

    /**
     * Runs the harness once. The request gets its fresh key here; the records returned are exactly the lines whose
     * HMAC verified, in order; any other line on the channel sets {@code tampered}.
     */
    Result run(int slot, ObjectNode request, long channelCap) throws IOException, InterruptedException {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        ObjectNode req = request.deepCopy();
        req.put("nonce", HexFormat.of().formatHex(key));
        req.put("python", settings.python().toString());
        req.put("cpu_seconds", settings.cpuSeconds());
        req.put("test_timeout", settings.testTimeout().toMillis() / 1000.0);
        req.put("output_cap", settings.maxOutputBytes());
        req.put("sandboxed", sandboxed);
        req.put("memory", settings.memoryBytes());
        req.put("max_procs", settings.maxProcesses());
        Path work = null;
        Cgroups.Run cg = null;
        Process process = null;
        try {
            List<String> cmd = new ArrayList<>();
            if (sandboxed && cgroups != null) {
                cg = cgroups.create(2 * settings.memoryBytes() + 2 * settings.tmpBytes() + (64L << 20),
                        settings.maxProcesses() + 2);
                cmd.addAll(List.of("/bin/sh", "-c", JOIN_CGROUPS, "groupflow-join"));
                cmd.addAll(cg.procsFiles());
                cmd.add("--");
            }
            if (sandboxed && root) {
                int uid = uid(slot);
                cmd.addAll(List.of(settings.setpriv().toString(), "--reuid=" + uid, "--regid=" + uid,
                        "--clear-groups", "--"));
            }
            if (Files.isExecutable(settings.prlimit())) {
                cmd.addAll(rlimits());
            } else if (sandboxed) {
                throw new IOException("prlimit not found at " + settings.prlimit());
            }
            if (sandboxed) {
                cmd.addAll(bwrapArguments());
                cmd.addAll(List.of(settings.python().toString(), "-I", HARNESS_DIR + "/harness.py"));
                req.put("work", "/tmp");
            } else {
                work = Files.createTempDirectory(settings.workDir(), "groupflow-code-run-");
                cmd.addAll(List.of(settings.python().toString(), "-I", harnessDir.resolve("harness.py").toString()));
                req.put("work", work.toString());
            }
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().clear(); // nothing of the JVM's environment reaches the sandbox, not even bwrap's init
            pb.environment().put("PATH", "/usr/bin:/bin");
            if (!sandboxed) {
                pb.environment().put("HOME", work.toString());
                pb.environment().put("PYTHONHASHSEED", "0");
                pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
                pb.environment().put("LANG", "C.UTF-8");
            }
            pb.directory(sandboxed ? Path.of("/").toFile() : work.toFile());
            synchronized (running) {
                if (closed) {
                    throw new IOException("the code verifier is closed");
                }
                process = pb.start();
                running.add(process);
            }
            Result result = collect(process, JSON.writeValueAsBytes(req), key, channelCap);
            if (closed) {
                throw new IOException("the code verifier was closed while this program ran");
            }
            return result;
        } finally {
            if (process != null) {
                kill(process);
                awaitExit(process);
                running.remove(process);
            }
            if (cg != null) {
                cg.close();
            }
            if (sandboxed && root) {
                sweep(uid(slot));
            }
            if (work != null) {
                deleteTree(work);
            }
        }
    }

    private Result collect(Process process, byte[] request, byte[] key, long channelCap)
            throws IOException, InterruptedException {
        AtomicBoolean wallKilled = new AtomicBoolean();
        ScheduledFuture<?> timer = watchdog.schedule(() -> {
            wallKilled.set(true);
            kill(process);
        }, settings.wallTimeout().toMillis(), TimeUnit.MILLISECONDS);
        Future<String> stderr = pumps.submit(() -> tail(process.getErrorStream()));
        try {
            try (OutputStream in = process.getOutputStream()) {
                in.write(request);
            } catch (IOException e) {
                // the harness is gone already: its exit code and stderr tell why
            }
            Mac mac = hmac(key);
            List<JsonNode> records = new ArrayList<>();
            boolean tampered = false;
            boolean overflow = false;
            long total = 0;
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            byte[] buf = new byte[1 << 16];
            try (InputStream out = process.getInputStream()) {
                int n;
                while ((n = out.read(buf)) > 0) {
                    total += n;
                    if (total > channelCap) {
                        overflow = true;
                        kill(process);
                        break;
                    }
                    for (int i = 0; i < n; i++) {
                        if (buf[i] == '\n') {
                            JsonNode record = verify(line.toByteArray(), mac);
                            if (record == null) {
                                tampered = true;
                            } else {
                                records.add(record);
                            }
                            line.reset();
                        } else {
                            line.write(buf[i]);
                        }
                    }
                }
            }
            if (line.size() > 0) {
                tampered = true; // a partial line: not the harness's
            }
            process.waitFor();
            String err;
            try {
                err = stderr.get(5, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                err = "(stderr unavailable)";
            }
            return new Result(List.copyOf(records), tampered, wallKilled.get(), overflow, process.exitValue(), err);
        } finally {
            timer.cancel(false);
        }
    }

    private static Mac hmac(byte[] key) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** A record: {@code JSON + " " + hex(HMAC-SHA256(key, JSON))}; null when the line is anything else. */
    static JsonNode verify(byte[] line, Mac mac) {
        int space = -1;
        for (int i = line.length - 1; i >= 0; i--) {
            if (line[i] == ' ') {
                space = i;
                break;
            }
        }
        if (space < 0 || line.length - space - 1 != 64) {
            return null;
        }
        byte[] claimed;
        try {
            claimed = HexFormat.of().parseHex(new String(line, space + 1, 64, StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            return null;
        }
        mac.reset();
        mac.update(line, 0, space);
        if (!MessageDigest.isEqual(mac.doFinal(), claimed)) {
            return null;
        }
        try {
            JsonNode node = JSON.readTree(line, 0, space);
            return node != null && node.isObject() ? node : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static String tail(InputStream err) throws IOException {
        byte[] keep = new byte[STDERR_TAIL];
        int len = 0;
        byte[] buf = new byte[8192];
        int n;
        try (err) {
            while ((n = err.read(buf)) > 0) {
                if (n >= STDERR_TAIL) {
                    System.arraycopy(buf, n - STDERR_TAIL, keep, 0, STDERR_TAIL);
                    len = STDERR_TAIL;
                } else {
                    int drop = Math.max(0, len + n - STDERR_TAIL);
                    System.arraycopy(keep, drop, keep, 0, len - drop);
                    len -= drop;
                    System.arraycopy(buf, 0, keep, len, n);
                    len += n;
                }
            }
        }
        return new String(keep, 0, len, StandardCharsets.UTF_8);
    }

    private List<String> rlimits() {
        long cpuOuter = Math.max(settings.wallTimeout().toSeconds() + 1, settings.cpuSeconds() + 2L);
        return List.of(settings.prlimit().toString(),
                "--as=" + settings.memoryBytes(),
                "--cpu=" + cpuOuter,
                "--nproc=" + nprocLimit(),
                "--fsize=" + settings.maxFileBytes(),
                "--core=0",
                "--nofile=256",
                "--");
    }

    /**
     * RLIMIT_NPROC counts every process and thread of the real uid. As root each slot has a uid of its own, so the
     * limit is the program's allowance plus the two harness processes (bwrap's monitor and the harness). Otherwise
     * the uid is shared with this JVM: the allowance is added to what the uid runs now (best effort).
     */
    private long nprocLimit() {
        long own = settings.maxProcesses() + 2L;
        return sandboxed && root ? own : own + tasksOf(currentUid());
    }

    private List<String> bwrapArguments() {
        List<String> a = new ArrayList<>(List.of(settings.bwrap().toString(),
                "--unshare-all", "--unshare-user", "--disable-userns", "--as-pid-1", "--die-with-parent",
                "--new-session", "--hostname", "sandbox",
                "--ro-bind", "/usr", "/usr"));
        for (String top : List.of("bin", "sbin", "lib", "lib32", "lib64", "libx32")) {
            Path p = Path.of("/", top);
            if (Files.isSymbolicLink(p)) {
                try {
                    a.addAll(List.of("--symlink", Files.readSymbolicLink(p).toString(), p.toString()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                a.addAll(List.of("--ro-bind", p.toString(), p.toString()));
            }
        }
        for (String etc : List.of("/etc/ld.so.cache", "/etc/alternatives", "/etc/localtime")) {
            a.addAll(List.of("--ro-bind-try", etc, etc));
        }
        for (Path extra : settings.extraReadOnlyPaths()) {
            a.addAll(List.of("--ro-bind", extra.toString(), extra.toString()));
        }
        a.addAll(List.of(
                "--proc", "/proc",
                "--dev", "/dev",
                "--size", Long.toString(settings.tmpBytes()), "--tmpfs", "/dev/shm",
                "--size", Long.toString(settings.tmpBytes()), "--tmpfs", "/tmp",
                "--ro-bind", harnessDir.toString(), HARNESS_DIR,
                // bwrap's root and /dev are tmpfs without a size limit: read-only (not recursive: /tmp and
                // /dev/shm, with their size limits, stay writable)
                "--remount-ro", "/dev",
                "--remount-ro", "/",
                "--chdir", "/tmp",
                "--clearenv",
                "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin",
                "--setenv", "HOME", "/tmp",
                "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
                "--setenv", "PYTHONHASHSEED", "0",
                "--setenv", "LANG", "C.UTF-8",
                "--"));
        return a;
    }

    /**
     * Waits for a killed process even when this thread is interrupted (closing the verifier interrupts its workers):
     * the cleanup after it (cgroups, uid sweep, work directory) must still run. The interrupt is kept.
     */
    private static void awaitExit(Process process) {
        boolean interrupted = false;
        while (true) {
            try {
                process.waitFor();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
                kill(process);
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Kills the process and every descendant (the sandbox's pid namespace dies with its init as well). */
    static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    static int currentUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Processes (pid to thread count) whose real uid is {@code uid}. */
    private static long tasksOf(int uid) {
        long tasks = 0;
        for (long[] p : processesOf(uid)) {
            tasks += p[1];
        }
        return tasks;
    }

    private static List<long[]> processesOf(int uid) {
        List<long[]> out = new ArrayList<>();
        try (DirectoryStream<Path> proc = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : proc) {
                try {
                    int realUid = -1;
                    long threads = 1;
                    for (String line : Files.readAllLines(p.resolve("status"), StandardCharsets.UTF_8)) {
                        if (line.startsWith("Uid:")) {
                            realUid = Integer.parseInt(line.substring(4).strip().split("\\s+")[0]);
                        } else if (line.startsWith("Threads:")) {
                            threads = Long.parseLong(line.substring(8).strip());
                        }
                    }
                    if (realUid == uid) {
                        out.add(new long[] {Long.parseLong(p.getFileName().toString()), threads});
                    }
                } catch (IOException | RuntimeException e) {
                    // gone meanwhile
                }
            }
        } catch (IOException e) {
            // no /proc: nothing to count
        }
        return out;
    }

    /**
     * Belt and braces after each sandbox when the JVM is root: the slot's uid belongs to its sandboxes alone, so any
     * process still running as it (there should be none: the pid namespace died with the harness) is killed.
     */
    private static void sweep(int uid) {
        for (long[] p : processesOf(uid)) {
            ProcessHandle.of(p[0]).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    static void deleteTree(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }

    @Override
    public void close() {
        synchronized (running) {
            closed = true;
            running.forEach(Sandbox::kill);
        }
        watchdog.shutdownNow();
        pumps.shutdownNow();
        for (FileChannel ch : uidLocks) {
            try {
                ch.close(); // releases the lock
            } catch (IOException e) {
                // the lock goes with the process anyway
            }
        }
    }
}
