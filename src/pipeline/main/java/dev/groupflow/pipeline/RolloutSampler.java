package dev.groupflow.pipeline;

import dev.groupflow.grpo.GuidanceSchedule;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.tokenizer.TextTokenizer;
import dev.groupflow.sampling.Completion;
import dev.groupflow.sampling.Sampler;
import dev.groupflow.sampling.SamplingParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The sampler as the pipeline uses it: G completions of each prompt, returned as {@link Rollout}s of one policy
 * version. The one place where sampler output becomes rollouts, for the streaming sampler, lockstep mode and
 * sampler workers alike; each prompt's randomness is fixed by the run's seed and the prompt's key, so the same
 * prompt gives the same completions wherever it is sampled.
 *
 * <p>Guided rollouts (G²RPO-A): with a {@link GuidanceSchedule} and {@code guided} &gt; 0, the first {@code guided}
 * completions of each prompt that has a reference trace start with its first ℓ tokens (ℓ of the version sampled
 * with, at most the whole trace), forced, not sampled; the others are plain.
 */
public final class RolloutSampler {

    /**
     * How a group is sampled.
     *
     * @param params temperature, top-k/p, min-p, max new tokens, stop strings
     * @param groupSize G, completions per prompt
     * @param seed the run's seed
     * @param guided completions of each group that are guided (0: none)
     */
    public record Settings(SamplingParams params, int groupSize, long seed, int guided) {
        /** No guided completions. */
        public Settings(SamplingParams params, int groupSize, long seed) {
            this(params, groupSize, seed, 0);
        }
    }

    private final Sampler sampler;
    private final Settings settings;
    private final GuidanceSchedule guidance;

    public RolloutSampler(CausalLm model, TextTokenizer tokenizer, Settings settings) {
        this(model, tokenizer, settings, null);
    }

    /** @param guidance ℓ by policy version (null: no guided completions) */
    public RolloutSampler(CausalLm model, TextTokenizer tokenizer, Settings settings, GuidanceSchedule guidance) {
        this.sampler = new Sampler(model, tokenizer);
        this.settings = settings;
        this.guidance = guidance;
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
        int length = guidance == null || settings.guided() == 0 ? 0 : guidance.lengthAt(version);
        for (PromptWork p : prompts) {
            requests.add(new Sampler.Request(p.key(), p.tokens(), settings.groupSize(), forced(p, length)));
        }
        List<List<Completion>> out = sampler.generate(requests, settings.params(), settings.seed(), 0, cancelled);
        List<Rollout> rollouts = new ArrayList<>(prompts.size() * settings.groupSize());
        for (int i = 0; i < prompts.size(); i++) {
            for (Completion c : out.get(i)) {
                rollouts.add(new Rollout(prompts.get(i), c.sampleIndex(), version, c.tokens(), c.logprobs(),
                        c.text(), c.truncated(), c.forced()));
            }
        }
        return rollouts;
    }

    /** The forced prefix of each of the prompt's G completions, or null when none is guided. */
    private int[][] forced(PromptWork p, int length) {
        if (length == 0 || p.guidance() == null) {
            return null;
        }
        int[][] forced = new int[settings.groupSize()][];
        int[] prefix = Arrays.copyOf(p.guidance(), Math.min(length, p.guidance().length));
        for (int i = 0; i < Math.min(settings.guided(), forced.length); i++) {
            forced[i] = prefix;
        }
        return forced;
    }
}
