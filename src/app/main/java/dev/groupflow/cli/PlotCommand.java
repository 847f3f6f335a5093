package dev.groupflow.cli;

import dev.groupflow.metrics.Charts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code groupflow plot RUN_DIR}: redraws a run's PNG charts from its metrics.jsonl (and eval.jsonl). */
@Command(name = "plot", description = "Redraw the PNG charts of a run directory (RUN_DIR/charts) from its metrics.")
final class PlotCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "run directory holding metrics.jsonl")
    Path runDir;

    @Override
    public Integer call() {
        if (!Files.isRegularFile(runDir.resolve("metrics.jsonl"))) {
            System.err.println("groupflow: no metrics.jsonl in " + runDir);
            return 2;
        }
        List<Path> written = Charts.render(runDir);
        written.forEach(p -> System.out.println(p));
        System.err.printf("groupflow: %d charts in %s%n", written.size(), runDir.resolve(Charts.DIR));
        return 0;
    }
}
