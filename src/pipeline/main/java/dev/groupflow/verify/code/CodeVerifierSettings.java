package dev.groupflow.verify.code;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Settings of the {@link CodeVerifier} (keys and defaults: {@code docs/code-verifier-keys.conf}, section
 * {@code verifier.code}).
 *
 * @param bwrap the bubblewrap binary
 * @param python the Python interpreter, the same path inside the sandbox (it must live under a bound directory:
 *     {@code /usr} or one of {@code extraReadOnlyPaths})
 * @param prlimit util-linux {@code prlimit}, which sets the sandbox's rlimits
 * @param setpriv util-linux {@code setpriv}, which drops to the slot's uid when the JVM runs as root
 * @param allowUnsandboxed run programs WITHOUT isolation when the sandbox is unavailable (unsafe; logged loudly)
 * @param maxConcurrent sandboxes running at the same time; further calls queue
 * @param uidBase when the JVM runs as root, slot k runs as uid {@code uidBase + k} (a uid nothing else uses)
 * @param wallTimeout the whole sandbox, tests included; then it is killed (reward 0)
 * @param testTimeout one stdin/stdout test, or one top-level statement of test_code (loading the program included)
 * @param cpuSeconds CPU seconds of each program process (RLIMIT_CPU)
 * @param memoryBytes address space of each process (RLIMIT_AS)
 * @param maxProcesses processes and threads the program may have at once (RLIMIT_NPROC, cgroup pids.max)
 * @param maxOutputBytes stdout plus stderr of one program process; beyond it the process is killed (reward 0)
 * @param maxFileBytes the largest file the program may write (RLIMIT_FSIZE)
 * @param tmpBytes size of the sandbox's private /tmp (a tmpfs)
 * @param cgroups auto (use cgroup memory and pids limits where the JVM may create child cgroups) | off | required
 * @param workDir host directory for the harness files (readable by the slot uids)
 * @param extraReadOnlyPaths more host paths bound read-only at the same place (another Python's prefix, say)
 */
public record CodeVerifierSettings(Path bwrap, Path python, Path prlimit, Path setpriv, boolean allowUnsandboxed,
                                   int maxConcurrent, int uidBase, Duration wallTimeout, Duration testTimeout,
                                   int cpuSeconds, long memoryBytes, int maxProcesses, long maxOutputBytes,
                                   long maxFileBytes, long tmpBytes, String cgroups, Path workDir,
                                   List<Path> extraReadOnlyPaths) {

    /** The defaults, as HOCON: the same text as {@code docs/code-verifier-keys.conf}'s section body. */
    static final String DEFAULTS = """
            bwrap = "/usr/bin/bwrap"
            python = "/usr/bin/python3"
            prlimit = "/usr/bin/prlimit"
            setpriv = "/usr/bin/setpriv"
            allow-unsandboxed = false
            max-concurrent = 2
            uid-base = 200000
            wall-timeout = 20s
            test-timeout = 4s
            cpu-seconds = 4
            memory = 1024M
            max-processes = 32
            max-output = 1M
            max-file-size = 16M
            tmp-size = 64M
            cgroups = auto
            work-dir = null
            extra-read-only-paths = []
            """;

    private static final Set<String> CGROUP_MODES = Set.of("auto", "off", "required");

    public CodeVerifierSettings {
        extraReadOnlyPaths = List.copyOf(extraReadOnlyPaths);
        cgroups = cgroups.toLowerCase(Locale.ROOT);
        List<String> problems = problems(maxConcurrent, uidBase, wallTimeout, testTimeout, cpuSeconds, memoryBytes,
                maxProcesses, maxOutputBytes, maxFileBytes, tmpBytes, cgroups);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("verifier.code: " + String.join("; ", problems));
        }
    }

    /** The defaults. */
    public static CodeVerifierSettings defaults() {
        return fromConfig(ConfigFactory.empty());
    }

    /**
     * Reads the {@code verifier.code} section (missing keys take their defaults). Every problem (unknown keys,
     * wrong types, bad values) is reported together in one {@link IllegalArgumentException}.
     */
    public static CodeVerifierSettings fromConfig(Config section) {
        Config defaults = ConfigFactory.parseString(DEFAULTS);
        List<String> problems = new ArrayList<>();
        Set<String> known = new TreeSet<>();
        for (Map.Entry<String, ConfigValue> e : defaults.root().entrySet()) {
            known.add(e.getKey());
        }
        for (Map.Entry<String, ConfigValue> e : section.root().entrySet()) {
            if (!known.contains(e.getKey())) {
                problems.add("unknown key '" + e.getKey() + "' (" + e.getValue().origin().description() + ")");
            }
        }
        Config c = section.withFallback(defaults).resolve();
        Path bwrap = read(problems, "bwrap", () -> Path.of(c.getString("bwrap")), null);
        Path python = read(problems, "python", () -> Path.of(c.getString("python")), null);
        Path prlimit = read(problems, "prlimit", () -> Path.of(c.getString("prlimit")), null);
        Path setpriv = read(problems, "setpriv", () -> Path.of(c.getString("setpriv")), null);
        boolean unsandboxed = read(problems, "allow-unsandboxed", () -> c.getBoolean("allow-unsandboxed"), false);
        int concurrent = read(problems, "max-concurrent", () -> c.getInt("max-concurrent"), 1);
        int uidBase = read(problems, "uid-base", () -> c.getInt("uid-base"), 200000);
        Duration wall = read(problems, "wall-timeout", () -> c.getDuration("wall-timeout"), Duration.ofSeconds(20));
        Duration test = read(problems, "test-timeout", () -> c.getDuration("test-timeout"), Duration.ofSeconds(4));
        int cpu = read(problems, "cpu-seconds", () -> c.getInt("cpu-seconds"), 4);
        long memory = read(problems, "memory", () -> c.getBytes("memory"), 1L << 30);
        int procs = read(problems, "max-processes", () -> c.getInt("max-processes"), 32);
        long output = read(problems, "max-output", () -> c.getBytes("max-output"), 1L << 20);
        long file = read(problems, "max-file-size", () -> c.getBytes("max-file-size"), 16L << 20);
        long tmp = read(problems, "tmp-size", () -> c.getBytes("tmp-size"), 64L << 20);
        String cgroups = read(problems, "cgroups", () -> c.getString("cgroups"), "auto").toLowerCase(Locale.ROOT);
        Path workDir = read(problems, "work-dir",
                () -> c.getIsNull("work-dir") ? Path.of(System.getProperty("java.io.tmpdir"))
                        : Path.of(c.getString("work-dir")), Path.of(System.getProperty("java.io.tmpdir")));
        List<Path> extra = read(problems, "extra-read-only-paths",
                () -> c.getStringList("extra-read-only-paths").stream().map(Path::of).toList(), List.of());
        for (var p : new Path[] {bwrap, python, prlimit, setpriv}) {
            if (p != null && !p.isAbsolute()) {
                problems.add("'" + p + "' must be an absolute path");
            }
        }
        for (Path p : extra) {
            if (!p.isAbsolute()) {
                problems.add("extra-read-only-paths: '" + p + "' must be an absolute path");
            }
        }
        problems.addAll(problems(concurrent, uidBase, wall, test, cpu, memory, procs, output, file, tmp, cgroups));
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("verifier.code: " + String.join("; ", problems));
        }
        return new CodeVerifierSettings(bwrap, python, prlimit, setpriv, unsandboxed, concurrent, uidBase, wall,
                test, cpu, memory, procs, output, file, tmp, cgroups, workDir, extra);
    }

    private static List<String> problems(int concurrent, int uidBase, Duration wall, Duration test, int cpu,
                                         long memory, int procs, long output, long file, long tmp,
                                         String cgroups) {
        List<String> p = new ArrayList<>();
        if (concurrent < 1) {
            p.add("max-concurrent must be >= 1, got " + concurrent);
        }
        if (uidBase < 1000 || (long) uidBase + concurrent > Integer.MAX_VALUE - 1) {
            p.add("uid-base must be >= 1000 (a uid no one uses), got " + uidBase);
        }
        if (wall == null || wall.toMillis() < 100) {
            p.add("wall-timeout must be >= 100ms, got " + wall);
        }
        if (test == null || test.toMillis() < 10) {
            p.add("test-timeout must be >= 10ms, got " + test);
        }
        if (cpu < 1) {
            p.add("cpu-seconds must be >= 1, got " + cpu);
        }
        if (memory < (64L << 20)) {
            p.add("memory must be >= 64M, got " + memory);
        }
        if (procs < 1) {
            p.add("max-processes must be >= 1, got " + procs);
        }
        if (output < 1024) {
            p.add("max-output must be >= 1K, got " + output);
        }
        if (file < 1024) {
            p.add("max-file-size must be >= 1K, got " + file);
        }
        if (tmp < (1L << 20)) {
            p.add("tmp-size must be >= 1M, got " + tmp);
        }
        if (!CGROUP_MODES.contains(cgroups)) {
            p.add("cgroups: '" + cgroups + "' is not one of " + new TreeSet<>(CGROUP_MODES));
        }
        return p;
    }

    private static <T> T read(List<String> problems, String key, Supplier<T> get, T fallback) {
        try {
            return get.get();
        } catch (ConfigException e) {
            problems.add(key + ": " + e.getMessage());
            return fallback;
        }
    }

    /** A copy with another bwrap binary. */
    public CodeVerifierSettings withBwrap(Path path) {
        return new CodeVerifierSettings(path, python, prlimit, setpriv, allowUnsandboxed, maxConcurrent, uidBase,
                wallTimeout, testTimeout, cpuSeconds, memoryBytes, maxProcesses, maxOutputBytes, maxFileBytes,
                tmpBytes, cgroups, workDir, extraReadOnlyPaths);
    }

    /** A copy that may (or may not) run programs without a sandbox. */
    public CodeVerifierSettings withAllowUnsandboxed(boolean allow) {
        return new CodeVerifierSettings(bwrap, python, prlimit, setpriv, allow, maxConcurrent, uidBase,
                wallTimeout, testTimeout, cpuSeconds, memoryBytes, maxProcesses, maxOutputBytes, maxFileBytes,
                tmpBytes, cgroups, workDir, extraReadOnlyPaths);
    }
}
