package dev.groupflow.cli;

import java.nio.file.Path;

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

    /** The classpath file the launcher reads. */
    static Path classpathFile() {
        return HOME.resolve("src/app/target/classpath.txt");
    }
}
