package dev.groupflow.pipeline;

import dev.groupflow.model.CausalLm;
import dev.groupflow.model.tokenizer.TextTokenizer;
import dev.groupflow.sampling.Completion;
import dev.groupflow.sampling.Sampler;
import dev.groupflow.sampling.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The sampler as the pipeline uses it: G completions of each prompt, returned as {@link Rollout}s of one policy
 * version. The one place where sampler output becomes rollouts, for the streaming sampler, lockstep mode and
 * sampler workers alike; each prompt's randomness is fixed by the run's seed and the prompt's key, so the same
 * prompt gives the same completions wherever it is sampled.
 */
public final class RolloutSampler {

    /**
     * How a group is sampled.
     *
     * @param params temperature, top-k/p, min-p, max new tokens, stop strings
     * @param groupSize G, completions per prompt
     * @param seed the run's seed
     */
    public record Settings(SamplingParams params, int groupSize, long seed) {
    }

    private final Sampler sampler;
    private final Settings settings;

    public RolloutSampler(CausalLm model, TextTokenizer tokenizer, Settings settings) {
        this.sampler = new Sampler(model, tokenizer);
        this.settings = settings;
    }

    /** G completions of each prompt, prompt by prompt, sampled with the model's weights of {@code version}. */
    public List<Rollout> sample(List<PromptWork> prompts, long version) {
        return sample(prompts, version, () -> false);
    }

    /**
     * As {@link #sample(List, long)}, abandoned between two tokens once {@code cancelled} turns true.
     *
     * @throws java.util.concurrent.CancellationException when cancelled
     */
    public List<Rollout> sample(List<PromptWork> prompts, long version, BooleanSupplier cancelled) {
        List<Sampler.Request> requests = new ArrayList<>(prompts.size());
        for (PromptWork p : prompts) {
            requests.add(new Sampler.Request(p.key(), p.tokens(), settings.groupSize()));
        }
        List<List<Completion>> out = sampler.generate(requests, settings.params(), settings.seed(), 0, cancelled);
        List<Rollout> rollouts = new ArrayList<>(prompts.size() * settings.groupSize());
        for (int i = 0; i < prompts.size(); i++) {
            for (Completion c : out.get(i)) {
                rollouts.add(new Rollout(prompts.get(i), c.sampleIndex(), version, c.tokens(), c.logprobs(),
                        c.text(), c.truncated()));
            }
        }
        return rollouts;
    }
}
