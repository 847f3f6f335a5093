package dev.groupflow.pipeline;

import ai.djl.ndarray.NDManager;
import dev.groupflow.checkpoint.Checkpointer;
import dev.groupflow.config.RunConfig;
import dev.groupflow.data.JsonlPrompts;
import dev.groupflow.data.PromptSource;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.Checkpoints;
import dev.groupflow.model.MemoryPlan;
import dev.groupflow.model.MemorySettings;
import dev.groupflow.model.ModelConfig;
import dev.groupflow.model.lora.LoraAdapters;
import dev.groupflow.model.lora.LoraConfig;
import dev.groupflow.model.tokenizer.TextTokenizer;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a run's models are made from its configuration, with memory in mind: the memory plan checked before any
 * weight is read, then the policy (full fine-tuning, or the frozen base with adapters) and its KL reference (a copy
 * of the initial weights, or with adapters the same base seen without them: nothing copied).
 */
final class PolicyAssembly {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyAssembly.class);
    /** Resident memory allowed beyond what the process holds when the plan is made (heap growth, allocator). */
    private static final long RUNTIME_SLACK = 512L << 20;
    /** Prompts measured for the plan's prompt length. */
    private static final int PROMPTS_MEASURED = 256;

    /** The policy and the reference model (null when grpo.beta = 0). */
    record Models(CausalLm policy, CausalLm reference) {
    }

    private PolicyAssembly() {
    }

    /**
     * Whether samplers copy straight from the learner's weights ({@link WeightStore#live}): full fine-tuning with a
     * local sampler outside deterministic mode. Adapters are copied instead (they are small) and deterministic mode
     * or sampler workers need versions kept.
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
        MemoryPlan.Inputs in = new MemoryPlan.Inputs(arch, c.lora(), c.grpo().beta() > 0, sampler,
                c.train().batchGroups() * g, c.grpo().microBatchTokens(), promptTokens, c.sampling().maxNewTokens(),
                c.pipeline().samplerBatchPrompts() * g, m.trainingMemory(parameters), resident + RUNTIME_SLACK);
        String source = m.budget() == MemorySettings.AUTO ? "available (memory.budget = auto)"
                : "(memory.budget)";
        MemoryPlan plan = MemoryPlan.plan(in, kept, MemoryPlan.budget(m, resident), source);
        if (!plan.fits()) {
            throw new IllegalArgumentException("this run does not fit in memory:\n" + plan.table() + "\n"
                    + "Train adapters instead of every weight (--set lora.rank=16), recompute layers "
                    + "(memory.recompute = on), lower grpo.micro-batch-tokens, pipeline.sampler-batch-prompts or "
                    + "sampling.max-new-tokens, or raise memory.budget if more is free than was measured.");
        }
        LOG.info("{}", plan.table());
        return plan;
    }

    /**
     * The longest of the first {@value #PROMPTS_MEASURED} prompts in tokens (what the plan assumes for every
     * prompt); the configured limit when there is one; for other sources the model's context less the completion.
     */
    static int promptTokens(RunConfig c, PromptSource source, PromptEncoder encoder, int context) {
        if (c.data().maxPromptTokens() > 0) {
            return Math.min(c.data().maxPromptTokens(), context);
        }
        if (!(source instanceof JsonlPrompts jsonl)) {
            return source instanceof dev.groupflow.data.DigitTask ? 2 * c.task().maxLength() + 2 : context;
        }
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
     * The policy and reference from a Hugging Face directory, resumed from {@code resumed} when given. With
     * adapters the base comes from {@code dir} and the adapters from the checkpoint (or freshly initialised).
     */
    static Models load(RunConfig c, Path dir, Checkpointer.Loaded resumed, NDManager manager) {
        LoraConfig lora = c.lora();
        boolean beta = c.grpo().beta() > 0;
        if (!lora.enabled()) {
            CausalLm policy = Checkpoints.load(resumed != null ? resumed.dir() : dir, manager);
            return new Models(policy, beta ? Checkpoints.load(dir, manager) : null);
        }
        CausalLm policy = Checkpoints.load(dir, manager);
        try {
            LoraAdapters adapters;
            if (resumed != null) {
                Path base = LoraAdapters.baseModel(resumed.dir());
                if (base != null && !base.toAbsolutePath().normalize().equals(dir.toAbsolutePath().normalize())) {
                    LOG.warn("{}: adapters were trained on {}, resuming them on {}", resumed.dir(), base, dir);
                }
                adapters = LoraAdapters.load(policy.config(), resumed.dir(), lora, policy.manager(), c.seed());
            } else {
                adapters = LoraAdapters.create(policy.config(), lora, policy.manager(), c.seed(), dir);
            }
            policy.attachAdapters(adapters);
            return new Models(policy, beta ? policy.baseView(manager) : null);
        } catch (RuntimeException e) {
            policy.close();
            throw e;
        }
    }
}
