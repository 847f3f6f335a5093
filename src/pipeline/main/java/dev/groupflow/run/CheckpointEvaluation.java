package dev.groupflow.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.agent.Episode;
import dev.groupflow.data.JsonlPrompts;
import dev.groupflow.model.Devices;
import dev.groupflow.model.tokenizer.CharTokenizer;
import dev.groupflow.pipeline.Evaluation;
import dev.groupflow.pipeline.PromptEncoder;
import dev.groupflow.sampling.Policy;
import dev.groupflow.verify.Verifier;
import dev.groupflow.verify.VerifierCalls;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Evaluates a checkpoint directory ({@code model.path}) on a prompts file ({@code data.prompts}, every row once,
 * in file order) with the configured verifier, prompt rendering and sampling settings: {@link Evaluation} outside
 * a training run. Malformed rows are left out and counted.
 */
public final class CheckpointEvaluation {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CheckpointEvaluation() {
    }

    /**
     * Evaluates an agent checkpoint ({@code model.path}: a Hugging Face model, or a checkpoint of a run with the
     * built-in policy) as the end of {@code train --task agent} does ({@link AgentEvaluation}): the held-out tasks of
     * {@code eval.prompts}, or of the built-in game's held-out split for the configuration's seed, played
     * {@code eval.samples} times each at {@code eval.temperature} against the configured environment (built-in or
     * HTTP). A built-in policy never writes the game's own characters, as in training.
     *
     * @param episodes where to write every episode turn by turn (JSONL, as {@code eval_episodes.jsonl}), or null
     * @return the summary of {@code eval.json}, with the model directory
     */
    public static Map<String, Object> agent(RunConfig rc, Path episodes) throws InterruptedException {
        try (Policy policy = Policy.load(rc.model().path(), Devices.resolve(rc.model().device()))) {
            if (policy.tokenizer() instanceof CharTokenizer chars) {
                policy.model().suppressTokens(RunAssembly.neverGenerated(rc, chars));
            }
            try (RunEnvironment environment = new RunEnvironment(rc.agent(), policy.tokenizer(),
                    rc.data().chatTemplateVariables(), Optional.empty())) {
                AgentEvaluation.Result result = new AgentEvaluation(rc, environment).run(policy.model(),
                        policy.tokenizer());
                if (episodes != null) {
                    write(episodes, result);
                }
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("model", rc.model().path().toString());
                r.putAll(result.summary());
                return r;
            }
        }
    }

    private static void write(Path file, AgentEvaluation.Result result) {
        try (BufferedWriter out = Files.newBufferedWriter(file)) {
            for (Episode e : result.episodes()) {
                out.write(JSON.writeValueAsString(AgentEvaluation.record(e)));
                out.newLine();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    public static Map<String, Object> run(RunConfig rc, Evaluation.Settings settings) {
        ScheduledExecutorService scheduler = RunVerifiers.timers("groupflow-verifier-timer");
        Verifier verifier = null;
        try (Policy policy = Policy.load(rc.model().path(), Devices.resolve(rc.model().device()));
             JsonlPrompts prompts = JsonlPrompts.open(rc.data().prompts(), 1, false, rc.seed())) {
            verifier = RunVerifiers.configured(rc, scheduler);
            int context = policy.model().config().maxPositionEmbeddings() - rc.sampling().maxNewTokens();
            int maxPrompt = rc.data().maxPromptTokens() > 0 ? Math.min(rc.data().maxPromptTokens(), context) : context;
            PromptEncoder encoder = new PromptEncoder(policy.tokenizer(), rc.data().chatTemplate(), maxPrompt, false,
                    rc.data().chatTemplateVariables());
            VerifierCalls calls = new VerifierCalls(verifier, rc.verifier().timeout(), rc.verifier().retries(),
                    rc.verifier().retryBackoff(), scheduler);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("model", rc.model().path().toString());
            r.put("prompts_file", rc.data().prompts().toString());
            r.put("verifier", rc.verifier().name());
            r.putAll(Evaluation.run(policy.model(), policy.tokenizer(), encoder, prompts, calls, settings));
            r.put("prompts_malformed", prompts.badRows().size());
            return r;
        } finally {
            if (verifier != null) {
                verifier.close();
            }
            scheduler.shutdownNow();
        }
    }
}
