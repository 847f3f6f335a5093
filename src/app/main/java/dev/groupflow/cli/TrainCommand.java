package dev.groupflow.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import dev.groupflow.checkpoint.Checkpointer;
import dev.groupflow.config.ConfigProblems;
import dev.groupflow.config.Settings;
import dev.groupflow.data.FileDigest;
import dev.groupflow.metrics.ChartRefresher;
import dev.groupflow.metrics.Charts;
import dev.groupflow.metrics.DashboardToken;
import dev.groupflow.metrics.LiveMonitoring;
import dev.groupflow.metrics.ProgressLine;
import dev.groupflow.metrics.RunMonitor;
import dev.groupflow.pipeline.LockstepControl;
import dev.groupflow.pipeline.RunResult;
import dev.groupflow.pipeline.StepReporter;
import dev.groupflow.run.HeldOutEvaluation;
import dev.groupflow.run.RunAssembly;
import dev.groupflow.run.RunConfig;
import dev.groupflow.run.StreamingRun;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code groupflow train}: a GRPO run, by default the built-in task from scratch. */
@Command(name = "train", description = "Train a policy with GRPO (default: a tiny policy on the built-in task).")
final class TrainCommand implements Callable<Integer> {
    /** Exit status of a run stopped because its checkpoints could not be written (docs/reliability.md). */
    static final int CHECKPOINTS_FAILED = 3;

    /**
     * What {@code --task agent} sets (under {@code --config} and {@code --set}): the built-in multi-turn task and the
     * training settings it learns with (docs/agents.md, "The built-in agent task").
     */
    static final Map<String, String> AGENT_PRESET = preset("task.name", RunConfig.GUESS, "train.steps", "600",
            "train.batch-groups", "8", "grpo.group-size", "8", "optim.lr", "1e-3", "optim.schedule", "cosine",
            "optim.min-lr-ratio", "0.1", "grpo.entropy-coef", "0.02", "task.eval-prompts", "100");

    /**
     * What {@code --task agent --model DIR} sets instead: the built-in task's batch shape, and room for chat turns
     * (the template's first observation with its tools is a few hundred tokens, a tool call a few dozen); the
     * learning rate stays the configuration's (the built-in preset's is for a policy trained from scratch).
     */
    static final Map<String, String> AGENT_MODEL_PRESET = preset("task.name", RunConfig.GUESS, "train.steps", "600",
            "train.batch-groups", "8", "grpo.group-size", "8", "task.eval-prompts", "100", "agent.max-tokens", "2048",
            "agent.max-turn-tokens", "128");

    private static Map<String, String> preset(String... keyValues) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return Collections.unmodifiableMap(m);
    }

    @Mixin
    ConfigOptions config;

    @Option(names = "--run-dir", description = "run directory (default: runs/<time>)")
    Path runDir;

    @Option(names = "--resume", description = "continue from the newest complete checkpoint in the run directory")
    boolean resume;

    @Option(names = "--model", description = "Hugging Face checkpoint directory (model.path)")
    Path model;

    @Option(names = "--prompts", description = "JSONL prompts file (data.prompts)")
    Path prompts;

    @Option(names = "--verifier", description = "reward function (verifier.name)")
    String verifier;

    @Option(names = "--task", description = "digits (the built-in single-turn task, task.name as configured) | agent "
            + "(the built-in multi-turn task: task.name = guess, episodes against an environment; docs/agents.md)")
    String task;

    @Option(names = "--no-dashboard", description = "do not serve the live dashboard (dashboard.enabled = false)")
    boolean noDashboard;

    @Option(names = "--export-merged", description = "after training, write the policy as a plain Hugging Face "
            + "checkpoint (adapters merged into the weights) to this directory")
    Path exportMerged;

    @Override
    public Integer call() throws Exception {
        String tokenProblem = DashboardToken.environmentProblem();
        RunConfig rc;
        try {
            if (task != null && !task.equals("digits") && !task.equals("agent")) {
                throw new ConfigProblems(List.of("--task: '" + task + "' is not one of digits, agent"));
            }
            Map<String, String> preset = !"agent".equals(task) ? Map.of()
                    : model == null ? AGENT_PRESET : AGENT_MODEL_PRESET;
            rc = config.load(preset, "model.path", model,
                    "data.prompts", prompts, "verifier.name", verifier, "run-dir", runDir,
                    "dashboard.enabled", noDashboard ? false : null);
        } catch (ConfigProblems e) {
            // a bad dashboard token in the environment is reported with the configuration's problems
            List<String> problems = new ArrayList<>(e.problems());
            if (tokenProblem != null) {
                problems.add(tokenProblem);
            }
            throw new ConfigProblems(problems);
        }
        if (tokenProblem != null) {
            throw new ConfigProblems(List.of(tokenProblem));
        }
        Path dir = rc.resolvedRunDir();
        Checkpointer existing = new Checkpointer(dir.resolve("checkpoints"), rc.checkpoint().keep());
        if (resume) {
            List<String> differences = ResumeCheck.differences(existing, rc);
            if (!differences.isEmpty()) {
                System.err.println("groupflow: cannot resume " + dir + " with a different configuration:");
                differences.forEach(d -> System.err.println("  - " + d));
                return 2;
            }
        } else if (!existing.complete().isEmpty()) {
            System.err.println("groupflow: " + dir + " already holds checkpoints; pass --resume to continue that run "
                    + "or choose another --run-dir");
            return 2;
        }
        return run(rc, dir, resume, exportMerged);
    }

    static int run(RunConfig rc, Path dir, boolean resume, Path exportMerged) throws Exception {
        long t0 = System.nanoTime();
        // progress: in place on a terminal; other output to stderr goes through its guard, so it never garbles it
        PrintStream console = System.err;
        ProgressLine progress = ProgressLine.forConsole(rc.log().progress(), console);
        if (progress.inPlace()) {
            System.setErr(progress.guard());
        }
        ChartRefresher charts = new ChartRefresher(dir, rc.charts().every());
        try (RunAssembly assembly = RunAssembly.create(rc, dir, resume)) {
            assembly.files().writeConfig(Settings.render(rc.raw()));
            System.err.printf("groupflow: %s mode, %s, policy %,d parameters (%s), %d steps from step %d, run dir %s%n",
                    rc.pipeline().mode().name().toLowerCase(Locale.ROOT), assembly.source().describe(),
                    assembly.policy().parameterCount(), assembly.policy().config().modelType(), rc.train().steps(),
                    assembly.start().step(), dir);
            StepReporter reporter = assembly.reporter(progress, rc.log().every(), rc.log().completionsEvery());
            reporter.addListener(charts);
            HeldOutEvaluation heldOut = assembly.heldOutEvaluation(progress);
            reporter.addListener(heldOut);
            LiveMonitoring.Settings watched = new LiveMonitoring.Settings(rc.train().steps(),
                    rc.pipeline().mode().name().toLowerCase(Locale.ROOT), rc.log().json(), rc.dashboard());
            int code;
            try (LiveMonitoring live = LiveMonitoring.open(watched, assembly.gauges(), reporter, dir,
                    DashboardToken.of(System.getenv(DashboardToken.ENV)), System.err, System.out)) {
                code = train(rc, assembly, reporter, live, heldOut, progress, dir, t0);
            }
            if (code == 0 && exportMerged != null) {
                assembly.exportPolicy(exportMerged);
                System.err.println("groupflow: policy written to " + exportMerged
                        + (assembly.policy().adapters() != null ? " (adapters merged)" : "")
                        + "; sample with: groupflow sample --model " + exportMerged);
            }
            return code;
        } finally {
            progress.finish();
            if (!charts.finish().isEmpty()) {
                System.err.println("groupflow: charts in " + dir.resolve(Charts.DIR));
            }
            System.setErr(console);
        }
    }

    private static int train(RunConfig rc, RunAssembly assembly, StepReporter reporter, LiveMonitoring live,
                             HeldOutEvaluation heldOut, ProgressLine progress, Path dir, long t0) throws Exception {
        RunResult result;
        if (rc.pipeline().mode() == RunConfig.Mode.LOCKSTEP) {
            LockstepControl control = new LockstepControl();
            live.control(control);
            Signals.onTerminate(control::stopGracefully);
            result = assembly.lockstep(reporter).run(control);
        } else {
            try (StreamingRun run = StreamingRun.start(assembly, reporter)) {
                live.control(run);
                Signals.onTerminate(run::stopGracefully);
                if (rc.cluster().enabled()) {
                    System.err.println("groupflow: learner node at " + run.address()
                            + " (workers: groupflow worker --role verifier|sampler --seed-nodes " + run.address()
                            + ")");
                }
                result = run.await(Duration.ofDays(365));
            }
        }
        progress.finish();
        if (result instanceof RunResult.Failed failed) {
            live.phase(RunMonitor.Phase.FAILED, failed.reason());
            if (failed.checkpointsFailed()) {
                System.err.println("groupflow: training stopped: " + failed.reason());
                return CHECKPOINTS_FAILED;
            }
            System.err.println("groupflow: training failed: " + failed.reason());
            return 1;
        }
        if (result instanceof RunResult.Interrupted) {
            live.phase(RunMonitor.Phase.STOPPED, "stopped at step " + result.steps());
            System.err.printf("groupflow: stopped at step %d; checkpoint written; continue with --resume%n",
                    result.steps());
            return 0;
        }
        live.phase(RunMonitor.Phase.EVALUATING, "held-out evaluation");
        Map<String, Object> eval = heldOut.evaluate(result.steps());
        assembly.files().eval(eval);
        System.err.printf("groupflow: done: %d steps in %s; held-out mean reward %s over %s prompts x %s "
                        + "(eval.json in %s)%n", result.steps(), seconds(t0), eval.get("mean_reward"),
                eval.get("prompts"), eval.get("samples_per_prompt"), dir);
        System.err.println("groupflow: " + HeldOutEvaluation.summary(eval));
        live.phase(RunMonitor.Phase.DONE, "held-out mean reward " + eval.get("mean_reward"));
        return 0;
    }

    private static String seconds(long t0) {
        return String.format("%.1f s", (System.nanoTime() - t0) / 1e9);
    }

    /** Differences that make a checkpoint's run incompatible with the given config. */
    static final class ResumeCheck {
        /** What a resumed run must share with its checkpoint: the model, the data and the algorithm. */
        static final List<String> IDENTITY = List.of("seed", "deterministic", "model.path", "model.builtin", "task",
                "agent", "data.prompts", "data.shuffle", "grpo.group-size", "grpo.scale", "grpo.aggregation",
                "grpo.ratio-level", "grpo.beta", "train.batch-groups");
        /** In deterministic mode also what fixes which samples are drawn with which weights. */
        static final List<String> DETERMINISTIC_IDENTITY = List.of("pipeline.max-staleness",
                "pipeline.sampler-batch-prompts", "sampling");

        static List<String> differences(Checkpointer checkpoints, RunConfig now) {
            List<String> out = new ArrayList<>();
            var latest = checkpoints.latest();
            if (latest.isEmpty()) {
                out.add("no complete checkpoint in " + checkpoints.root());
                return out;
            }
            out.addAll(configDifferences(latest.get().config(), now));
            // the data position and the ledger name rows of the prompts file: they must be the same rows
            String recorded = FileDigest.recorded(latest.get().dir());
            Path prompts = now.data().prompts();
            if (recorded != null && prompts != null && Files.isRegularFile(prompts)) {
                String digest = FileDigest.sha256Remembered(prompts);
                if (!digest.equals(recorded)) {
                    out.add("data.prompts: " + prompts + " has changed since the checkpoint (sha256 "
                            + recorded.substring(0, 12) + "..., now " + digest.substring(0, 12) + "...); the "
                            + "checkpoint's data position and ledger refer to the rows as they were: restore the "
                            + "file, or start a new run (another --run-dir) with the checkpoint's weights as --model");
                }
            }
            return out;
        }

        /**
         * The identity keys on which a checkpoint's configuration (its {@code run.conf} text) and the run's differ. A
         * key added to groupflow after the checkpoint was written counts at its default there, so a checkpoint of an
         * earlier version resumes as long as the new keys keep their defaults.
         */
        static List<String> configDifferences(String checkpointConfig, RunConfig now) {
            List<String> out = new ArrayList<>();
            Config then = ConfigFactory.parseString(checkpointConfig).withFallback(Settings.defaults());
            List<String> keys = new ArrayList<>(IDENTITY);
            if (now.deterministic()) {
                keys.addAll(DETERMINISTIC_IDENTITY);
            }
            for (String key : keys) {
                String a = then.hasPathOrNull(key) ? render(then, key) : "(absent)";
                String b = now.raw().hasPathOrNull(key) ? render(now.raw(), key) : "(absent)";
                if (!a.equals(b)) {
                    out.add(key + ": checkpoint has " + a + ", now " + b);
                }
            }
            return out;
        }

        private static String render(Config c, String key) {
            return c.getIsNull(key) ? "null"
                    : c.getValue(key).render(ConfigRenderOptions.concise());
        }
    }

}
