package dev.groupflow.pipeline;

import dev.groupflow.data.Prompt;
import dev.groupflow.data.PromptSource;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.tokenizer.TextTokenizer;
import dev.groupflow.sampling.Completion;
import dev.groupflow.sampling.Sampler;
import dev.groupflow.sampling.SamplingParams;
import dev.groupflow.verify.Outcome;
import dev.groupflow.verify.VerifierCalls;
import dev.groupflow.verify.VerifyRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Scores a policy on held-out prompts: {@code samples} completions per prompt at the given temperature (0 =
 * greedy), each through the verifier. Reports the mean reward over scored completions, how many failed, and
 * pass@k with confidence intervals (see EvalReport). It samples on the calling thread.
 */
public final class Evaluation {
    private Evaluation() {
    }

    /**
     * What to evaluate.
     *
     * @param maxPrompts at most this many prompts (indices 0, 1, ... of the source, until it is exhausted)
     * @param samples completions per prompt (n of pass@k)
     * @param passThreshold a completion with at least this reward is correct
     * @param passK the k of pass@k besides 1 and samples (each in [1, samples])
     * @param seed of the sampler and of the bootstrap
     */
    public record Settings(int maxPrompts, int samples, SamplingParams params, double passThreshold,
                           List<Integer> passK, long seed) {
    }

    /** The mean reward (and fraction with reward 1) only, as before pass@k: threshold 1.0, pass@1 and pass@samples. */
    public static Map<String, Object> run(CausalLm policy, TextTokenizer tokenizer, PromptEncoder encoder,
                                          PromptSource source, int maxPrompts, int samples, SamplingParams params,
                                          VerifierCalls calls, long seed) {
        return run(policy, tokenizer, encoder, source, calls,
                new Settings(maxPrompts, samples, params, 1.0, List.of(), seed));
    }

    public static Map<String, Object> run(CausalLm policy, TextTokenizer tokenizer, PromptEncoder encoder,
                                          PromptSource source, VerifierCalls calls, Settings settings) {
        Sampler sampler = new Sampler(policy, tokenizer);
        List<PromptWork> prompts = new ArrayList<>();
        int skipped = 0;
        for (long i = 0; prompts.size() < settings.maxPrompts() && !source.exhausted(i); i++) {
            Prompt p = source.at(i);
            try {
                prompts.add(new PromptWork(i, prompts.size(), p.id(), p.displayText(), encoder.encode(p), p.answer(),
                        p.metadata()));
            } catch (PromptEncoder.Unusable e) {
                skipped++;
            }
        }
        EvalReport report = new EvalReport(prompts.size(), settings.samples(), settings.passThreshold());
        for (int from = 0; from < prompts.size(); from += 32) {
            List<PromptWork> chunk = prompts.subList(from, Math.min(prompts.size(), from + 32));
            List<Sampler.Request> requests = new ArrayList<>();
            chunk.forEach(p -> requests.add(new Sampler.Request(p.key(), p.tokens(), settings.samples())));
            List<List<Completion>> out = sampler.generate(requests, settings.params(), settings.seed(), -1);
            List<List<CompletableFuture<Outcome>>> scores = new ArrayList<>();
            for (int i = 0; i < chunk.size(); i++) {
                PromptWork p = chunk.get(i);
                List<CompletableFuture<Outcome>> ofPrompt = new ArrayList<>();
                for (Completion c : out.get(i)) {
                    ofPrompt.add(calls.call(new VerifyRequest(p.text(), c.text(), p.answer(), p.metadata(),
                            c.tokens().length)).toCompletableFuture());
                }
                scores.add(ofPrompt);
            }
            for (int i = 0; i < chunk.size(); i++) {
                for (CompletableFuture<Outcome> f : scores.get(i)) {
                    report.add(from + i, f.join());
                }
            }
        }
        Map<String, Object> r = report.toMap(settings.passK(), settings.seed());
        r.put("temperature", settings.params().temperature());
        r.put("prompts_skipped", skipped);
        return r;
    }
}
