package dev.groupflow.run;

import dev.groupflow.data.JsonlPrompts;
import dev.groupflow.model.Devices;
import dev.groupflow.pipeline.Evaluation;
import dev.groupflow.pipeline.PromptEncoder;
import dev.groupflow.sampling.Policy;
import dev.groupflow.verify.Verifier;
import dev.groupflow.verify.VerifierCalls;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Evaluates a checkpoint directory ({@code model.path}) on a prompts file ({@code data.prompts}, every row once,
 * in file order) with the configured verifier, prompt rendering and sampling settings: {@link Evaluation} outside
 * a training run. Malformed rows are left out and counted.
 */
public final class CheckpointEvaluation {
    private CheckpointEvaluation() {
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
