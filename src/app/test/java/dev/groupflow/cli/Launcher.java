package dev.groupflow.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The checkout's {@code bin/groupflow}, which tests run as a real process: it runs the app module with the
 * classpath Maven wrote into {@code src/app/target/classpath.txt} (tests pass {@code GROUPFLOW_SKIP_BUILD=1}, the
 * build being the one running them). The checkout's top level comes from surefire ({@code groupflow.home}).
 */
final class Launcher {
    static final Path HOME = Path.of(System.getProperty("groupflow.home", "../..")).toAbsolutePath().normalize();

    private Launcher() {
    }

    /** The launcher's path, to start it from any directory. */
    static String path() {
        return HOME.resolve("bin/groupflow").toString();
    }

    /**
     * Starts {@code groupflow train} as a process in {@code run} (with {@code --resume} when asked) with the given
     * arguments, appending its output to {@code log}.
     */
    static Process train(Path run, Path log, boolean resume, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(path(), "train", "--run-dir", run.toString()));
        if (resume) {
            cmd.add("--resume");
        }
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("GROUPFLOW_SKIP_BUILD", "1");
        pb.environment().put("GROUPFLOW_JAVA_OPTS", "-Xss4m -Xmx1g");
        return pb.start();
    }

    /** The classpath file the launcher reads. */
    static Path classpathFile() {
        return HOME.resolve("src/app/target/classpath.txt");
    }
}
