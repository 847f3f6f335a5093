package dev.groupflow.run;

import dev.groupflow.checkpoint.Checkpointer;
import dev.groupflow.data.DigitTask;
import dev.groupflow.data.JsonlPrompts;
import dev.groupflow.data.PromptSource;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.MemoryPlan;
import dev.groupflow.model.MemorySettings;
import dev.groupflow.model.ModelConfig;
import dev.groupflow.model.lora.LoraAdapters;
import dev.groupflow.model.lora.LoraConfig;
import dev.groupflow.model.tokenizer.TextTokenizer;
import dev.groupflow.pipeline.PromptEncoder;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The memory side of assembling a run ({@link RunAssembly}): the memory plan checked before any weight is read,
 * adapters put on the policy (fresh or resumed), and which weights the sampler copies from.
 */
final class PolicyAssembly {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyAssembly.class);
    /** Resident memory allowed beyond what the process holds when the plan is made (heap growth, allocator). */
    private static final long RUNTIME_SLACK = 512L << 20;
    /** Prompts measured for the plan's prompt length. */
    private static final int PROMPTS_MEASURED = 256;

    private PolicyAssembly() {
    }

    /**
     * Whether samplers copy straight from the learner's weights ({@link dev.groupflow.pipeline.WeightStore#live}):
     * full fine-tuning with a local sampler outside deterministic mode. Adapters are copied instead (they are small),
     * and deterministic mode or sampler workers need versions kept.
     */
    static boolean liveWeights(RunConfig c) {
        return !c.deterministic() && !c.cluster().remoteSamplers() && !c.lora().enabled();
    }

    /** The plan for this run; logs it, or refuses the run with it when it exceeds the budget. */
    static MemoryPlan checkMemory(RunConfig c, ModelConfig arch, int promptTokens) {
        MemorySettings m = c.memory();
        long parameters = MemoryPlan.parameterCount(arch);
        MemoryPlan.Sampler sampler = c.deterministic() || c.cluster().remoteSamplers() ? MemoryPlan.Sampler.VERSIONS
                : c.pipeline().mode() == RunConfig.Mode.LOCKSTEP && liveWeights(c) ? MemoryPlan.Sampler.SHARED
                : MemoryPlan.Sampler.REPLICA;
        int kept = c.deterministic() ? c.pipeline().maxStaleness() + 1 : 1;
        int g = c.grpo().groupSize();
        long resident = MemoryPlan.residentBytes();
        LoraConfig lora = c.lora();
        MemoryPlan.Adaptation adaptation = lora.enabled()
                ? new MemoryPlan.Adaptation(lora.rank(), LoraAdapters.parameterCount(arch, lora),
                LoraAdapters.activationFloatsPerToken(arch, lora), lora.mergedSampler())
                : MemoryPlan.Adaptation.NONE;
        MemoryPlan.Inputs in = new MemoryPlan.Inputs(arch, adaptation, c.grpo().loss().beta() > 0, sampler,
                c.train().batchGroups() * g, c.grpo().passes().microBatchTokens(), promptTokens,
                c.sampling().maxNewTokens(), c.pipeline().samplerBatchPrompts() * g, m.trainingMemory(parameters),
                resident + RUNTIME_SLACK);
        String source = m.budget() == MemorySettings.AUTO ? "available (memory.budget = auto)" : "(memory.budget)";
        MemoryPlan plan = MemoryPlan.plan(in, kept, MemoryPlan.budget(m, resident), source);
        if (!plan.fits()) {
            throw new IllegalArgumentException("this run does not fit in memory:\n" + plan.table() + "\n"
                    + remedies(lora.enabled(), in.memory().recompute()));
        }
        LOG.info("{}", plan.table());
        return plan;
    }

    /** What to change when a plan does not fit: what the run does not do yet, then what shrinks every run. */
    static String remedies(boolean adapters, boolean recompute) {
        StringBuilder sb = new StringBuilder();
        if (!adapters) {
            sb.append("Train adapters instead of every weight (--set lora.rank=16), ");
        }
        if (!recompute) {
            sb.append(sb.isEmpty() ? "Recompute" : "recompute").append(" layers (memory.recompute = on), ");
        }
        sb.append(sb.isEmpty() ? "Lower" : "lower").append(" grpo.micro-batch-tokens, pipeline.sampler-batch-prompts ")
                .append("or sampling.max-new-tokens, or raise memory.budget if more is free than was measured.");
        return sb.toString();
    }

    /**
     * The longest of the first {@value #PROMPTS_MEASURED} prompts in tokens (what the plan assumes for every
     * prompt); an agent run's episode limit ({@code agent.max-tokens}); the configured limit when there is one;
     * the built-in task's longest; for other sources the model's context less the completion.
     */
    static int promptTokens(RunConfig c, PromptSource source, TextTokenizer tokenizer, int context) {
        if (c.task().agent()) {
            return Math.max(1, Math.min(c.agent().limits().maxTokens(), context)); // an episode's whole context
        }
        if (c.data().maxPromptTokens() > 0) {
            return Math.min(c.data().maxPromptTokens(), context);
        }
        if (source instanceof DigitTask) {
            return 2 * c.task().maxLength() + 2;
        }
        if (!(source instanceof JsonlPrompts jsonl)) {
            return context;
        }
        PromptEncoder encoder = new PromptEncoder(tokenizer, c.data().chatTemplate(), Math.max(1, context), false,
                c.data().chatTemplateVariables());
        int longest = 1;
        for (long i = 0; i < Math.min(jsonl.size(), PROMPTS_MEASURED); i++) {
            try {
                longest = Math.max(longest, encoder.encode(jsonl.at(i)).length);
            } catch (PromptEncoder.Unusable e) {
                // left out by the run as well
            }
        }
        return longest;
    }

    /**
     * Puts adapters on the policy when the run trains them (lora.rank &gt; 0): a resumed checkpoint's, or fresh
     * ones from the seed. The base stays {@code dir}'s, frozen.
     */
    static void adapt(RunConfig c, CausalLm policy, Path dir, Optional<Checkpointer.Loaded> resumed) {
        LoraConfig lora = c.lora();
        if (!lora.enabled()) {
            return;
        }
        LoraAdapters adapters;
        if (resumed.isPresent()) {
            Path checkpoint = resumed.get().dir();
            Path base = LoraAdapters.baseModel(checkpoint);
            if (base != null && !base.toAbsolutePath().normalize().equals(dir.toAbsolutePath().normalize())) {
                LOG.warn("{}: adapters were trained on {}, resuming them on {}", checkpoint, base, dir);
            }
            adapters = LoraAdapters.load(policy.config(), checkpoint, lora, policy.manager(), c.seed());
        } else {
            adapters = LoraAdapters.create(policy.config(), lora, policy.manager(), c.seed(), dir);
        }
        policy.attachAdapters(adapters);
    }
}
