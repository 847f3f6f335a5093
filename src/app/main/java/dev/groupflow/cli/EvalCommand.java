package dev.groupflow.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.pipeline.Evaluation;
import dev.groupflow.run.CheckpointEvaluation;
import dev.groupflow.run.RunConfig;
import dev.groupflow.sampling.SamplingParams;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code groupflow eval}: mean reward, pass@k and maj@k (with 95% bootstrap intervals) of a checkpoint on a prompts
 * file, as one JSON line on stdout and a summary on stderr; with {@code --task agent}, an agent checkpoint's episodes
 * on held-out tasks (mean return, success rate, turns, outcomes), as the end of {@code train --task agent} reports.
 */
@Command(name = "eval", description = "Evaluate a model directory on a prompts file: mean reward, pass@k, maj@k; "
        + "or (--task agent) an agent checkpoint on held-out tasks: mean return, success rate, turns.")
final class EvalCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model", required = true, description = "checkpoint directory (model.path)")
    Path model;

    @Option(names = "--prompts", description = "JSONL prompts file; every row once (data.prompts; with --task agent: "
            + "the held-out tasks, eval.prompts). Required without --task")
    Path prompts;

    @Option(names = "--verifier", description = "reward function (verifier.name). Required without --task")
    String verifier;

    @Option(names = "--task", description = "agent: play held-out tasks against the environment (agent.*) instead; "
            + "a checkpoint of a run brings its run.conf (seed, held-out split, environment) unless --config is given")
    String task;

    @Option(names = "--episodes", description = "with --task agent: write every episode, turn by turn, to this JSONL "
            + "file")
    Path episodes;

    @Spec
    CommandSpec spec;

    @Option(names = {"-n", "--samples"}, description = "completions per prompt, n of pass@k (eval.samples)")
    Integer samples;

    @Option(names = "--temperature", description = "0 = greedy (eval.temperature)")
    Double temperature;

    @Option(names = "--k", split = ",", description = "also report pass@k for these k <= samples (eval.pass-k)")
    List<Integer> ks = new ArrayList<>();

    @Option(names = "--threshold", description = "reward counted as correct (eval.pass-threshold)")
    Double threshold;

    @Option(names = "--max-prompts", defaultValue = "2147483647", description = "evaluate at most this many rows")
    int maxPrompts;

    @Mixin
    ConfigOptions config;

    @Override
    public Integer call() throws Exception {
        if (task != null) {
            return agent();
        }
        if (prompts == null || verifier == null) {
            throw new ParameterException(spec.commandLine(), "Missing required options: --prompts and --verifier "
                    + "(or --task agent)");
        }
        if (episodes != null) {
            throw new ParameterException(spec.commandLine(), "--episodes needs --task agent");
        }
        RunConfig rc = config.load("model.path", model, "data.prompts", prompts, "verifier.name", verifier,
                "eval.samples", samples, "eval.temperature", temperature, "eval.pass-threshold", threshold,
                "eval.pass-k", ks.isEmpty() ? null : ks);
        SamplingParams s = rc.sampling();
        SamplingParams params = new SamplingParams(rc.eval().temperature(), s.topK(), s.topP(), s.minP(),
                s.maxNewTokens(), s.stop());
        Map<String, Object> r = CheckpointEvaluation.run(rc, new Evaluation.Settings(maxPrompts, rc.eval().samples(),
                params, rc.eval().passThreshold(), rc.eval().passK(), rc.seed()));
        System.out.println(JSON.writeValueAsString(r));
        System.err.print(summary(r));
        return 0;
    }

    /**
     * An agent checkpoint on held-out tasks. A run's checkpoint directory holds the run's configuration
     * ({@code run.conf}); it is the base (under {@code --set}) unless {@code --config} names another, so the held-out
     * split, the limits and the environment are the run's.
     */
    private int agent() throws Exception {
        if (!task.equals("agent")) {
            throw new ParameterException(spec.commandLine(), "--task: '" + task + "' is not 'agent'");
        }
        if (verifier != null || !ks.isEmpty() || threshold != null) {
            throw new ParameterException(spec.commandLine(), "--verifier, --k and --threshold score completions; an "
                    + "agent's episodes are scored by their environment");
        }
        Path runConf = model.resolve("run.conf");
        Path base = config.file != null ? config.file : Files.isRegularFile(runConf) ? runConf : null;
        RunConfig rc = RunConfig.load(base, config.overrides("task.name", RunConfig.GUESS, "model.path", model,
                "eval.prompts", prompts, "eval.samples", samples, "eval.temperature", temperature));
        Map<String, Object> r = new LinkedHashMap<>(CheckpointEvaluation.agent(rc, episodes));
        r.put("config", base == null ? "defaults" : base.toString());
        System.out.println(JSON.writeValueAsString(r));
        System.err.printf("groupflow: eval of %s (config %s): mean return %.3f  success %.3f  turns %.2f over %s "
                        + "tasks x %s%n", model, r.get("config"), ((Number) r.get("mean_reward")).doubleValue(),
                ((Number) r.get("success_rate")).doubleValue(), ((Number) r.get("turns_per_episode")).doubleValue(),
                r.get("prompts"), r.get("samples_per_prompt"));
        return 0;
    }

    /** The result for people: mean reward, each pass@k and maj@k with its interval. */
    @SuppressWarnings("unchecked")
    static String summary(Map<String, Object> r) {
        StringBuilder sb = new StringBuilder(String.format("groupflow: eval of %s on %s (%s prompts x %s samples, "
                        + "temperature %s, verifier %s)%n", r.get("model"), r.get("prompts_file"), r.get("prompts"),
                r.get("samples_per_prompt"), r.get("temperature"), r.get("verifier")));
        sb.append(String.format("  mean reward  %s%n", withInterval(r.get("mean_reward"), r.get("mean_reward_ci95"))));
        ((Map<String, Map<String, Object>>) r.get("pass_at_k")).forEach((k, v) -> sb.append(String.format(
                "  pass@%-7s %s%n", k, withInterval(v.get("estimate"), v.get("ci95")))));
        if (r.get("maj_at_k") instanceof Map<?, ?> maj) {
            ((Map<String, Map<String, Object>>) maj).forEach((k, v) -> sb.append(String.format(
                    "  maj@%-8s %s%n", k, withInterval(v.get("estimate"), v.get("ci95")))));
        }
        sb.append(String.format("  (reward >= %s is correct; %s; %s completions failed, %s prompts skipped, "
                        + "%s rows malformed)%n", r.get("pass_threshold"), r.get("ci_method"),
                r.get("completions_failed"),
                r.get("prompts_skipped"), r.get("prompts_malformed")));
        return sb.toString();
    }

    private static String withInterval(Object value, Object ci) {
        if (!(value instanceof Number v)) {
            return "n/a";
        }
        String text = String.format("%.4f", v.doubleValue());
        if (ci instanceof double[] bounds) {
            text += String.format("  95%% CI [%.4f, %.4f]", bounds[0], bounds[1]);
        }
        return text;
    }
}
