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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Scores a policy on held-out prompts: {@code samples} completions per prompt at the given temperature (0 =
 * greedy), each through the verifier. Reports the mean reward over scored completions, and how many failed.
 */
public final class Evaluation {
    private Evaluation() {
    }

    /**
     * @param source the held-out prompts; indices 0 .. prompts-1 (or until it is exhausted)
     * @param maxPrompts at most this many prompts
     */
    public static Map<String, Object> run(CausalLm policy, TextTokenizer tokenizer, PromptEncoder encoder,
                                          PromptSource source, int maxPrompts, int samples, SamplingParams params,
                                          VerifierCalls calls, long seed) {
        Sampler sampler = new Sampler(policy, tokenizer);
        List<PromptWork> prompts = new ArrayList<>();
        int skipped = 0;
        for (long i = 0; prompts.size() < maxPrompts && !source.exhausted(i); i++) {
            Prompt p = source.at(i);
            try {
                prompts.add(new PromptWork(i, prompts.size(), p.id(), p.displayText(), encoder.encode(p), p.answer(), p.metadata()));
            } catch (PromptEncoder.Unusable e) {
                skipped++;
            }
        }
        double sum = 0;
        int scored = 0;
        int failed = 0;
        int solved = 0;
        for (int from = 0; from < prompts.size(); from += 32) {
            List<PromptWork> chunk = prompts.subList(from, Math.min(prompts.size(), from + 32));
            List<Sampler.Request> requests = new ArrayList<>();
            chunk.forEach(p -> requests.add(new Sampler.Request(p.key(), p.tokens(), samples)));
            List<List<Completion>> out = sampler.generate(requests, params, seed, -1);
            List<CompletableFuture<Outcome>> calls2 = new ArrayList<>();
            for (int i = 0; i < chunk.size(); i++) {
                PromptWork p = chunk.get(i);
                for (Completion c : out.get(i)) {
                    calls2.add(calls.call(new VerifyRequest(p.text(), c.text(), p.answer(), p.metadata(),
                            c.tokens().length)).toCompletableFuture());
                }
            }
            for (CompletableFuture<Outcome> f : calls2) {
                Outcome o = f.join();
                if (o.scored()) {
                    sum += o.reward();
                    scored++;
                    solved += o.reward() >= 1.0 ? 1 : 0;
                } else {
                    failed++;
                }
            }
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("mean_reward", scored == 0 ? null : sum / scored);
        r.put("prompts", prompts.size());
        r.put("samples_per_prompt", samples);
        r.put("temperature", params.temperature());
        r.put("completions_scored", scored);
        r.put("completions_failed", failed);
        r.put("fraction_full_reward", scored == 0 ? null : (double) solved / scored);
        r.put("prompts_skipped", skipped);
        return r;
    }
}
