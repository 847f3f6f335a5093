package dev.groupflow.verify.code;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The host's processes as /proc shows them (from outside every sandbox). */
final class HostProcesses {
    private HostProcesses() {
    }

    /** Processes on the host. */
    static long count() {
        return all().size();
    }

    /** "pid: cmdline" of every process whose command line contains the marker. */
    static List<String> withMarker(String marker) {
        List<String> out = new ArrayList<>();
        for (String p : all()) {
            if (p.contains(marker)) {
                out.add(p);
            }
        }
        return out;
    }

    /** Processes that only a sandbox starts: the program (solution.py), the program host, or a slot uid. */
    static List<String> sandboxLeftovers() {
        List<String> out = new ArrayList<>();
        for (String p : all()) {
            if (p.contains("/tmp/prog/solution.py") || p.contains("/h/host.py") || p.contains("/h/harness.py")) {
                out.add(p);
            }
        }
        return out;
    }

    /** Per-sandbox cgroups of this JVM still present (they are removed after each sandbox). */
    static List<String> cgroupLeftovers() {
        String prefix = "groupflow-code-" + ProcessHandle.current().pid() + "-";
        List<String> out = new ArrayList<>();
        Path root = Path.of("/sys/fs/cgroup");
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (var walk = Files.walk(root, 8)) {
            walk.filter(p -> p.getFileName() != null && p.getFileName().toString().startsWith(prefix))
                    .forEach(p -> out.add(p.toString()));
        } catch (IOException | UncheckedIOException e) {
            // unreadable parts of the tree hold none of ours
        }
        return out;
    }

    private static List<String> all() {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> proc = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : proc) {
                try {
                    byte[] raw = Files.readAllBytes(p.resolve("cmdline"));
                    String cmd = new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').strip();
                    String status = Files.readString(p.resolve("status"));
                    if (status.contains("State:\tZ")) {
                        continue; // a zombie holds nothing: it is only waiting for its parent
                    }
                    out.add(p.getFileName() + ": " + cmd);
                } catch (IOException | RuntimeException e) {
                    // exited meanwhile
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }
}
