package dev.groupflow.pipeline;

import dev.groupflow.model.TinyModels;
import dev.groupflow.run.RunAssembly;
import dev.groupflow.run.RunConfig;
import dev.groupflow.run.StreamingRun;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/** Runs the real pipeline in-process for tests. */
public final class PipelineRuns {
    private PipelineRuns() {
    }

    /** A small, fast configuration of the built-in task; extra --set overrides after it. */
    public static RunConfig config(String... sets) {
        List<String> all = new ArrayList<>(List.of("task.name=reverse", "grpo.group-size=4", "train.batch-groups=4",
                "pipeline.sampler-batch-prompts=2", "train.steps=6", "checkpoint.every=0", "log.every=1000",
                "log.completions-every=0", "sampling.max-new-tokens=6", "model.device=cpu"));
        all.addAll(List.of(sets));
        return RunConfig.load(null, all);
    }

    public static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    /** Runs the streaming pipeline to the end; the setup stays open for inspection (caller closes it). */
    static RunResult streaming(RunAssembly setup, Consumer<Map<String, Object>> listener) throws Exception {
        StepReporter reporter = new StepReporter(setup.files(), setup.gauges(), setup.config().train().steps(), 1000, 0,
                QUIET, 0);
        if (listener != null) {
            reporter.addListener(listener);
        }
        try (StreamingRun run = StreamingRun.start(setup, reporter)) {
            return run.await(Duration.ofSeconds(Long.getLong("groupflow.test.run-timeout", 300)));
        } catch (TimeoutException e) {
            dumpThreads();
            throw e;
        }
    }

    /** Every thread's stack, to diagnose a run that did not finish. */
    static void dumpThreads() {
        StringBuilder sb = new StringBuilder("=== threads of a run that did not finish ===\n");
        Thread.getAllStackTraces().forEach((t, frames) -> {
            sb.append('"').append(t.getName()).append("\" ").append(t.getState()).append('\n');
            for (StackTraceElement f : frames) {
                sb.append("    at ").append(f).append('\n');
            }
        });
        System.out.println(sb);
    }

    static RunResult lockstep(RunAssembly setup) {
        return lockstep(setup, null);
    }

    /** Runs the lockstep pipeline to the end, {@code listener} (if any) seeing each step's metrics line. */
    static RunResult lockstep(RunAssembly setup, Consumer<Map<String, Object>> listener) {
        StepReporter reporter = new StepReporter(setup.files(), setup.gauges(), setup.config().train().steps(), 1000, 0,
                QUIET, 0);
        if (listener != null) {
            reporter.addListener(listener);
        }
        return setup.lockstep(reporter).run(() -> false);
    }

    /** Why a run failed (it must have). */
    static String reason(RunResult r) {
        return ((RunResult.Failed) r).reason();
    }

    static float[] weights(RunAssembly setup) {
        return TinyModels.flatWeights(setup.policy());
    }

    public static RunAssembly setup(RunConfig c, Path dir) {
        return RunAssembly.create(c, dir, false);
    }
}
