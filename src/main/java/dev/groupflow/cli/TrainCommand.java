package dev.groupflow.cli;

import dev.groupflow.checkpoint.Checkpointer;
import dev.groupflow.config.ConfigProblems;
import dev.groupflow.config.RunConfig;
import dev.groupflow.config.Settings;
import dev.groupflow.metrics.ChartRefresher;
import dev.groupflow.metrics.Charts;
import dev.groupflow.metrics.DashboardToken;
import dev.groupflow.metrics.LiveMonitoring;
import dev.groupflow.metrics.RunMonitor;
import dev.groupflow.metrics.ProgressLine;
import dev.groupflow.model.Checkpoints;
import dev.groupflow.pipeline.HeldOutEvaluation;
import dev.groupflow.pipeline.LockstepControl;
import dev.groupflow.pipeline.LockstepTrainer;
import dev.groupflow.pipeline.RunResult;
import dev.groupflow.pipeline.StepReporter;
import dev.groupflow.pipeline.StreamingRun;
import dev.groupflow.pipeline.TrainingSetup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code groupflow train}: a GRPO run, by default the built-in task from scratch. */
@Command(name = "train", description = "Train a policy with GRPO (default: a tiny policy on the built-in task).")
final class TrainCommand implements Callable<Integer> {
    /** Exit status of a run stopped because its checkpoints could not be written (docs/reliability.md). */
    static final int CHECKPOINTS_FAILED = 3;

    @Option(names = "--config", description = "HOCON file overriding conf/groupflow.conf")
    Path config;

    @Option(names = "--set", description = "override one key: --set grpo.group-size=16 (repeatable)")
    List<String> sets = new ArrayList<>();

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

    @Option(names = "--no-dashboard", description = "do not serve the live dashboard (dashboard.enabled = false)")
    boolean noDashboard;

    @Option(names = "--export-merged", description = "after training, write the policy as a plain Hugging Face "
            + "checkpoint (adapters merged into the weights) to this directory")
    Path exportMerged;

    @Override
    public Integer call() throws Exception {
        List<String> all = new ArrayList<>();
        if (model != null) {
            all.add("model.path=" + model);
        }
        if (prompts != null) {
            all.add("data.prompts=" + prompts);
        }
        if (verifier != null) {
            all.add("verifier.name=" + verifier);
        }
        if (runDir != null) {
            all.add("run-dir=" + runDir);
        }
        if (noDashboard) {
            all.add("dashboard.enabled=false");
        }
        all.addAll(sets);
        RunConfig rc;
        String tokenProblem = DashboardToken.environmentProblem();
        try {
            rc = RunConfig.load(config, all);
        } catch (ConfigProblems e) {
            List<String> problems = new ArrayList<>(e.problems());
            if (tokenProblem != null) {
                problems.add(tokenProblem);
            }
            System.err.println("groupflow: " + new ConfigProblems(problems).getMessage());
            return 2;
        }
        if (tokenProblem != null) {
            System.err.println("groupflow: " + new ConfigProblems(List.of(tokenProblem)).getMessage());
            return 2;
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
        java.io.PrintStream console = System.err;
        ProgressLine progress = ProgressLine.forConsole(rc.log().progress(), console);
        if (progress.inPlace()) {
            System.setErr(progress.guard());
        }
        ChartRefresher charts = new ChartRefresher(dir, rc.charts().every());
        try (TrainingSetup setup = TrainingSetup.create(rc, dir, resume)) {
            setup.files.writeConfig(Settings.render(rc.raw()));
            System.err.printf("groupflow: %s mode, %s, policy %,d parameters (%s), %d steps from step %d, run dir %s%n",
                    rc.pipeline().mode().name().toLowerCase(java.util.Locale.ROOT), setup.source.describe(),
                    setup.policy.parameterCount(), setup.policy.config().modelType(), rc.train().steps(),
                    setup.startStep, dir);
            StepReporter reporter = new StepReporter(setup.files, setup.gauges, rc.train().steps(), rc.log().every(),
                    rc.log().completionsEvery(), progress, setup.samplesTrainedBefore);
            reporter.addListener(charts);
            HeldOutEvaluation heldOut = new HeldOutEvaluation(setup, progress);
            reporter.addListener(heldOut);
            int code;
            try (LiveMonitoring live = LiveMonitoring.open(rc, setup.gauges, reporter, dir,
                    DashboardToken.of(System.getenv(DashboardToken.ENV)), System.err, System.out)) {
                code = train(rc, setup, reporter, live, heldOut, progress, dir, t0);
            }
            if (code == 0 && exportMerged != null) {
                Checkpoints.save(setup.policy, exportMerged, Checkpoints.DEFAULT_MAX_SHARD_BYTES);
                setup.writeTokenizerFiles(exportMerged);
                System.err.println("groupflow: policy written to " + exportMerged + (setup.policy.adapters() != null
                        ? " (adapters merged)" : "") + "; sample with: groupflow sample --model " + exportMerged);
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

    private static int train(RunConfig rc, TrainingSetup setup, StepReporter reporter, LiveMonitoring live,
                             HeldOutEvaluation heldOut, ProgressLine progress, Path dir, long t0) throws Exception {
        RunResult result;
        if (rc.pipeline().mode() == RunConfig.Mode.LOCKSTEP) {
            LockstepControl control = new LockstepControl();
            live.control(control);
            Signals.onTerminate(control::stopGracefully);
            result = new LockstepTrainer(setup, reporter).run(control);
        } else {
            try (StreamingRun run = StreamingRun.start(setup, reporter)) {
                live.control(run);
                Signals.onTerminate(run::stopGracefully);
                if (rc.cluster().enabled()) {
                    System.err.println("groupflow: learner node at " + run.address()
                            + " (workers: groupflow worker --role verifier|sampler --seed-nodes " + run.address()
                            + ")");
                }
                result = run.await(java.time.Duration.ofDays(365));
            }
        }
        progress.finish();
        if (!result.ok()) {
            live.phase(RunMonitor.Phase.FAILED, result.failure());
            if (result.checkpointsFailed()) {
                System.err.println("groupflow: training stopped: " + result.failure());
                return CHECKPOINTS_FAILED;
            }
            System.err.println("groupflow: training failed: " + result.failure());
            return 1;
        }
        if (result.interrupted()) {
            live.phase(RunMonitor.Phase.STOPPED, "stopped at step " + result.steps());
            System.err.printf("groupflow: stopped at step %d; checkpoint written; continue with --resume%n",
                    result.steps());
            return 0;
        }
        live.phase(RunMonitor.Phase.EVALUATING, "held-out evaluation");
        Map<String, Object> eval = heldOut.evaluate(result.steps());
        setup.files.eval(eval);
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
                "data.prompts", "data.shuffle", "grpo.group-size", "grpo.scale", "grpo.aggregation", "grpo.ratio-level",
                "grpo.beta", "train.batch-groups");
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
            var then = com.typesafe.config.ConfigFactory.parseString(latest.get().config());
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
            // the data position and the ledger name rows of the prompts file: they must be the same rows
            String recorded = dev.groupflow.data.FileDigest.recorded(latest.get().dir());
            Path prompts = now.data().prompts();
            if (recorded != null && prompts != null && java.nio.file.Files.isRegularFile(prompts)) {
                String digest = dev.groupflow.data.FileDigest.sha256Remembered(prompts);
                if (!digest.equals(recorded)) {
                    out.add("data.prompts: " + prompts + " has changed since the checkpoint (sha256 "
                            + recorded.substring(0, 12) + "..., now " + digest.substring(0, 12) + "...); the "
                            + "checkpoint's data position and ledger refer to the rows as they were: restore the "
                            + "file, or start a new run (another --run-dir) with the checkpoint's weights as --model");
                }
            }
            return out;
        }

        private static String render(com.typesafe.config.Config c, String key) {
            return c.getIsNull(key) ? "null"
                    : c.getValue(key).render(com.typesafe.config.ConfigRenderOptions.concise());
        }
    }

}
