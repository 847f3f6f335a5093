package dev.groupflow.run;

import dev.groupflow.agent.Episode;
import dev.groupflow.data.DigitTask;
import dev.groupflow.data.JsonlPrompts;
import dev.groupflow.data.PromptSource;
import dev.groupflow.metrics.ProgressLine;
import dev.groupflow.metrics.RunFiles;
import dev.groupflow.pipeline.Evaluation;
import dev.groupflow.pipeline.PromptEncoder;
import dev.groupflow.pipeline.StepReporter;
import dev.groupflow.sampling.Policy;
import dev.groupflow.sampling.SamplingParams;
import dev.groupflow.verify.VerifierCalls;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The held-out evaluation of a training run ({@link Evaluation} on the built-in task's held-out prompts, or on
 * {@code eval.prompts}): every {@code eval.every} steps as a {@link StepReporter} listener, and at the end. Each
 * result, with its step, is appended to {@code eval.jsonl}. As a listener it runs on the learner's thread between
 * two steps, so training pauses while it runs (the sampler and the verifiers go on until admission control stops
 * them).
 */
public final class HeldOutEvaluation implements Consumer<Map<String, Object>> {
    private final RunConfig config;
    private final Policy policy;
    private final PromptEncoder encoder;
    private final Supplier<VerifierCalls> calls;
    private final RunFiles files;
    private final ProgressLine progress;
    private final AgentEvaluation agent;

    /**
     * @param policy the policy being trained, evaluated as it is at each call
     * @param calls the verifier calls to score with (asked for at each evaluation)
     * @param files where each result is appended ({@code eval.jsonl})
     * @param agent an agent run's episodes on held-out tasks (null otherwise)
     */
    HeldOutEvaluation(RunConfig config, Policy policy, PromptEncoder encoder, Supplier<VerifierCalls> calls,
                      RunFiles files, ProgressLine progress, AgentEvaluation agent) {
        this.config = config;
        this.policy = policy;
        this.encoder = encoder;
        this.calls = calls;
        this.files = files;
        this.progress = progress;
        this.agent = agent;
    }

    /** Whether there are held-out prompts: the built-in task's, or an {@code eval.prompts} file. */
    public static boolean available(RunConfig rc) {
        return rc.data().prompts() == null || rc.eval().prompts() != null;
    }

    /** Evaluates after every {@code eval.every}-th step except the last (the final evaluation covers it). */
    @Override
    public void accept(Map<String, Object> line) {
        int every = config.eval().every();
        long step = ((Number) line.get("step")).longValue();
        if (every > 0 && step % every == 0 && step < config.train().steps() && available(config)) {
            Map<String, Object> r = evaluate(step);
            progress.message("groupflow: " + summary(r));
        }
    }

    /** Evaluates the policy as it is now, records it in eval.jsonl as {@code step}'s, and returns the result. */
    public Map<String, Object> evaluate(long step) {
        RunConfig rc = config;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("step", step);
        if (!available(rc)) {
            r.putAll(Map.of("mean_reward", "n/a", "prompts", 0, "samples_per_prompt", rc.eval().samples(),
                    "note", "no held-out prompts: set eval.prompts"));
            return r;
        }
        if (agent != null) {
            try {
                AgentEvaluation.Result result = agent.run(policy.model(), policy.tokenizer());
                r.putAll(result.summary());
                for (Episode e : result.episodes()) {
                    files.evalEpisode(AgentEvaluation.record(step, e));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("held-out evaluation interrupted", e);
            }
            files.evalLine(r);
            return r;
        }
        SamplingParams p = rc.sampling();
        SamplingParams params = new SamplingParams(rc.eval().temperature(), p.topK(), p.topP(), p.minP(),
                p.maxNewTokens(), p.stop());
        boolean task = rc.data().prompts() == null;
        PromptSource heldOut = task
                ? new DigitTask(rc.task().name(), rc.task().minLength(), rc.task().maxLength(), rc.seed(), true)
                : JsonlPrompts.open(rc.eval().prompts(), 1, false, rc.seed());
        try {
            r.putAll(Evaluation.run(policy.model(), policy.tokenizer(), encoder, heldOut, calls.get(),
                    new Evaluation.Settings(task ? rc.task().evalPrompts() : Integer.MAX_VALUE, rc.eval().samples(),
                            params, rc.eval().passThreshold(), rc.eval().passK(), rc.seed())));
        } finally {
            if (heldOut instanceof JsonlPrompts j) {
                j.close();
            }
        }
        files.evalLine(r);
        return r;
    }

    /** One line: step, mean reward, pass@1 with its interval, maj@n when the verifier gives answers. */
    @SuppressWarnings("unchecked")
    public static String summary(Map<String, Object> r) {
        Object pass = r.get("pass_at_k") instanceof Map<?, ?> m ? ((Map<String, Object>) m).get("1") : null;
        String passText = estimate("pass@1", pass);
        if (r.get("maj_at_k") instanceof Map<?, ?> maj && !maj.isEmpty()) {
            Map.Entry<String, Object> e = ((Map<String, Object>) maj).entrySet().iterator().next();
            passText += estimate("maj@" + e.getKey(), e.getValue());
        }
        if (r.get("success_rate") instanceof Number success) {
            passText = String.format("  success %.3f  turns %.2f", success.doubleValue(),
                    ((Number) r.get("turns_per_episode")).doubleValue());
        }
        Object mean = r.get("mean_reward");
        return String.format("eval at step %s: mean reward %s%s over %s prompts x %s", r.get("step"),
                mean instanceof Number n ? String.format("%.3f", n.doubleValue()) : mean, passText, r.get("prompts"),
                r.get("samples_per_prompt"));
    }

    /** "  name 0.300 [0.240, 0.365]" of an {@code {"estimate", "ci95"}} map, or "" without an estimate. */
    private static String estimate(String name, Object value) {
        if (!(value instanceof Map<?, ?> one && one.get("estimate") instanceof Number est)) {
            return "";
        }
        String text = String.format("  %s %.3f", name, est.doubleValue());
        if (one.get("ci95") instanceof double[] ci) {
            text += String.format(" [%.3f, %.3f]", ci[0], ci[1]);
        }
        return text;
    }
}
