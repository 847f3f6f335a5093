package dev.groupflow.cli;

import dev.groupflow.config.ConfigProblems;
import dev.groupflow.run.RunConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The options of every command that reads {@code conf/groupflow.conf}: a file of overrides and single keys. The
 * command's own options (say {@code --model}) are keys too, applied before {@code --set}. A configuration with
 * problems throws {@link ConfigProblems}, which the command line prints (every problem at once) and ends with
 * exit status 2.
 */
final class ConfigOptions {

    @Option(names = "--config", description = "HOCON file overriding conf/groupflow.conf")
    Path file;

    @Option(names = "--set", description = "override one key of conf/groupflow.conf, e.g. --set train.steps=500 "
            + "(repeatable)")
    List<String> sets = new ArrayList<>();

    /**
     * The keys a command's own options set, then {@code --set}.
     *
     * @param keyValues key, value, key, value, ...: a null value (an option not given) sets nothing
     */
    List<String> overrides(Object... keyValues) {
        List<String> all = new ArrayList<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            if (keyValues[i + 1] != null) {
                all.add(keyValues[i] + "=" + keyValues[i + 1]);
            }
        }
        all.addAll(sets);
        return all;
    }

    /** The run configuration with {@link #overrides}, every key checked. */
    RunConfig load(Object... keyValues) {
        return RunConfig.load(file, overrides(keyValues));
    }
}
