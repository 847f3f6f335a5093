package dev.groupflow.verify.code;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Per-sandbox cgroups for a memory total and a process count that cover everything the program starts (rlimits
 * are per process). They are created UNDER the JVM's own cgroup, never elsewhere, so whatever limits the JVM is
 * under still apply. cgroup v1 (memory and pids hierarchies) and v2 (when the JVM's cgroup already delegates the
 * memory and pids controllers) are supported; elsewhere {@link #detect()} returns null and the rlimits stand alone.
 */
final class Cgroups {
    private static final AtomicLong COUNTER = new AtomicLong();

    /** One hierarchy: the directory of the JVM's own cgroup there, and what it controls. */
    private record Hierarchy(Path dir, boolean v2, boolean memory, boolean pids) {
    }

    private final List<Hierarchy> hierarchies;

    private Cgroups(List<Hierarchy> hierarchies) {
        this.hierarchies = hierarchies;
    }

    /** What this host offers, or null: no cgroup with the memory or pids controller the JVM may create. */
    static Cgroups detect() {
        try {
            List<String> mountinfo = Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8);
            List<String> own = Files.readAllLines(Path.of("/proc/self/cgroup"), StandardCharsets.UTF_8);
            Map<String, String> v1Paths = new LinkedHashMap<>();
            String v2Path = null;
            for (String line : own) {
                String[] f = line.split(":", 3);
                if (f.length != 3) {
                    continue;
                }
                if (f[0].equals("0") && f[1].isEmpty()) {
                    v2Path = f[2];
                } else {
                    for (String c : f[1].split(",")) {
                        v1Paths.put(c, f[2]);
                    }
                }
            }
            List<Hierarchy> v1 = new ArrayList<>();
            Hierarchy v2 = null;
            for (String line : mountinfo) {
                int dash = line.indexOf(" - ");
                if (dash < 0) {
                    continue;
                }
                String[] pre = line.substring(0, dash).split(" ");
                String[] post = line.substring(dash + 3).split(" ");
                if (pre.length < 5 || post.length < 3) {
                    continue;
                }
                String root = unescape(pre[3]);
                Path mount = Path.of(unescape(pre[4]));
                if (post[0].equals("cgroup")) {
                    List<String> opts = Arrays.asList(post[2].split(","));
                    boolean memory = opts.contains("memory");
                    boolean pids = opts.contains("pids");
                    String path = memory ? v1Paths.get("memory") : pids ? v1Paths.get("pids") : null;
                    Path dir = path == null ? null : within(mount, root, path);
                    if (dir != null && usable(dir)) {
                        v1.add(new Hierarchy(dir, false, memory, pids));
                    }
                } else if (post[0].equals("cgroup2") && v2Path != null) {
                    Path dir = within(mount, root, v2Path);
                    if (dir != null && usable(dir)) {
                        String control = Files.readString(dir.resolve("cgroup.subtree_control")).strip();
                        List<String> enabled = Arrays.asList(control.split("\\s+"));
                        if (enabled.contains("memory") || enabled.contains("pids")) {
                            v2 = new Hierarchy(dir, true, enabled.contains("memory"), enabled.contains("pids"));
                        }
                    }
                }
            }
            boolean v1Memory = v1.stream().anyMatch(Hierarchy::memory);
            boolean v1Pids = v1.stream().anyMatch(Hierarchy::pids);
            if (v1Memory || v1Pids) {
                if (v2 != null && (v2.memory() && !v1Memory || v2.pids() && !v1Pids)) {
                    return null; // controllers split between versions: too unusual to trust
                }
                return new Cgroups(List.copyOf(v1));
            }
            return v2 == null ? null : new Cgroups(List.of(v2));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static Path within(Path mount, String mountRoot, String cgroupPath) {
        if (!mountRoot.equals("/")) {
            if (!cgroupPath.equals(mountRoot) && !cgroupPath.startsWith(mountRoot + "/")) {
                return null;
            }
            cgroupPath = cgroupPath.substring(mountRoot.length());
        }
        String rel = cgroupPath.replaceFirst("^/+", "");
        Path dir = rel.isEmpty() ? mount : mount.resolve(rel).normalize();
        return dir.startsWith(mount) ? dir : null;
    }

    private static boolean usable(Path dir) {
        return Files.isDirectory(dir) && Files.isWritable(dir) && Files.isRegularFile(dir.resolve("cgroup.procs"));
    }

    private static String unescape(String s) {
        return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }

    boolean limitsMemory() {
        return hierarchies.stream().anyMatch(Hierarchy::memory);
    }

    boolean limitsProcesses() {
        return hierarchies.stream().anyMatch(Hierarchy::pids);
    }

    String describe() {
        StringBuilder sb = new StringBuilder();
        for (Hierarchy h : hierarchies) {
            sb.append(sb.length() == 0 ? "" : ", ").append(h.v2() ? "v2 " : "v1 ")
                    .append(h.memory() ? "memory " : "").append(h.pids() ? "pids " : "").append("under ").append(h.dir());
        }
        return sb.toString();
    }

    /** Fresh child cgroups for one sandbox, with its limits set. */
    Run create(long memoryBytes, int pids) throws IOException {
        String name = "groupflow-code-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
        List<Path> dirs = new ArrayList<>();
        try {
            for (Hierarchy h : hierarchies) {
                Path dir = h.dir().resolve(name);
                Files.createDirectory(dir);
                dirs.add(dir);
                if (h.memory()) {
                    if (h.v2()) {
                        write(dir.resolve("memory.max"), Long.toString(memoryBytes));
                        tryWrite(dir.resolve("memory.swap.max"), "0");
                    } else {
                        write(dir.resolve("memory.limit_in_bytes"), Long.toString(memoryBytes));
                        tryWrite(dir.resolve("memory.memsw.limit_in_bytes"), Long.toString(memoryBytes));
                    }
                }
                if (h.pids()) {
                    write(dir.resolve("pids.max"), Integer.toString(pids));
                }
            }
        } catch (IOException | RuntimeException e) {
            new Run(dirs).close();
            throw e;
        }
        return new Run(dirs);
    }

    private static void write(Path file, String value) throws IOException {
        Files.writeString(file, value);
    }

    private static void tryWrite(Path file, String value) {
        try {
            if (Files.exists(file)) {
                Files.writeString(file, value);
            }
        } catch (IOException e) {
            // swap accounting off: nothing to limit
        }
    }

    /** The cgroups of one sandbox. */
    static final class Run implements AutoCloseable {
        private final List<Path> dirs;

        Run(List<Path> dirs) {
            this.dirs = List.copyOf(dirs);
        }

        /** The files a process writes its pid to, to join. */
        List<String> procsFiles() {
            return dirs.stream().map(d -> d.resolve("cgroup.procs").toString()).toList();
        }

        /** Kills whatever is left in them (nothing, normally) and removes them. */
        @Override
        public void close() {
            boolean interrupted = Thread.interrupted(); // cleanup runs to the end; the interrupt is kept
            for (Path dir : dirs) {
                for (int attempt = 0; attempt < 50 && Files.isDirectory(dir); attempt++) {
                    try {
                        for (String line : Files.readAllLines(dir.resolve("cgroup.procs"))) {
                            if (!line.isBlank()) {
                                ProcessHandle.of(Long.parseLong(line.strip())).ifPresent(ProcessHandle::destroyForcibly);
                            }
                        }
                        Files.delete(dir);
                    } catch (IOException | RuntimeException e) {
                        try {
                            Thread.sleep(10);
                        } catch (InterruptedException ie) {
                            interrupted = true;
                        }
                    }
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
