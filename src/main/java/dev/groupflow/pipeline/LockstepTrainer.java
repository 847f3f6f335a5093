package dev.groupflow.pipeline;

import dev.groupflow.data.DataPosition;
import dev.groupflow.data.Prompt;
import dev.groupflow.model.CausalLm;
import dev.groupflow.sampling.Completion;
import dev.groupflow.sampling.Sampler;
import dev.groupflow.verify.VerifyRequest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.function.BooleanSupplier;

/**
 * The baseline: sample a whole batch, score all of it, train, repeat (how TRL's GRPOTrainer works). Nothing
 * overlaps: verification starts when the last completion of the batch is sampled, and the next batch waits for the
 * update. It takes prompts, chunks them for the sampler and orders the batch exactly as the streaming pipeline
 * does, so with {@code max-staleness = 0} both modes train on the same samples.
 */
public final class LockstepTrainer {
    private final TrainingSetup setup;
    private final TrainingCore core;
    private final Deque<DataPosition.Pending> pending;
    private long nextIndex;
    private long nextOrdinal;
    private long skipped;
    private long dropped;

    public LockstepTrainer(TrainingSetup setup, StepReporter reporter) {
        this.setup = setup;
        this.core = new TrainingCore(setup, reporter);
        this.pending = new ArrayDeque<>(setup.startData.pending());
        this.nextIndex = setup.startData.nextIndex();
        this.nextOrdinal = setup.startData.nextOrdinal();
        this.skipped = setup.startData.skipped();
        this.dropped = setup.startData.dropped();
    }

    /** Runs until the configured steps are done, the data runs out, or {@code stop} turns true. */
    public RunResult run(BooleanSupplier stop) {
        return run(new LockstepControl(stop));
    }

    /**
     * Runs until the configured steps are done, the data runs out, or {@code control} is asked to stop; waits
     * before a batch while it is paused and checkpoints after a step when asked to.
     */
    public RunResult run(LockstepControl control) {
        var c = setup.config;
        int groupSize = c.grpo().groupSize();
        int chunk = c.pipeline().samplerBatchPrompts();
        try (CausalLm replica = setup.replicaFactory().get()) {
            replica.setRequiresGradient(false);
            Sampler sampler = new Sampler(replica, setup.tokenizer);
            while (!core.finished()) {
                awaitUnpaused(control);
                while (control.paused() && !control.stopRequested() && control.takeCheckpointRequest()) {
                    core.checkpoint(position()); // asked for while paused: no step to wait for
                    awaitUnpaused(control);
                }
                if (control.stopRequested()) {
                    core.finalCheckpoint(position());
                    return new RunResult(core.step(), true, null);
                }
                setup.weights.copyInto(replica);
                List<Group> batch = new ArrayList<>();
                boolean exhausted = false;
                while (batch.size() < c.train().batchGroups()) {
                    List<PromptWork> prompts = admit(c.train().batchGroups() - batch.size());
                    if (prompts.isEmpty()) {
                        exhausted = true;
                        break;
                    }
                    List<Rollout> rollouts = new ArrayList<>();
                    for (int from = 0; from < prompts.size(); from += chunk) {
                        rollouts.addAll(sample(sampler, prompts.subList(from, Math.min(prompts.size(), from + chunk)),
                                groupSize));
                    }
                    for (Group g : score(rollouts, groupSize)) {
                        if (c.pipeline().filterZeroVariance() && g.zeroVariance()) {
                            setup.gauges.groupsFiltered.incrementAndGet();
                            setup.gauges.samplesFiltered.addAndGet(g.members().size());
                            dropped++;
                        } else {
                            batch.add(g);
                        }
                    }
                }
                if (batch.isEmpty()) {
                    break;
                }
                core.train(batch);
                if (exhausted) {
                    break;
                }
                boolean asked = control.takeCheckpointRequest();
                if (core.checkpointDue() || asked) {
                    core.checkpoint(position());
                }
            }
            core.finalCheckpoint(position());
            return new RunResult(core.step(), false, null);
        } catch (CheckpointsFailedException e) {
            return new RunResult(core.step(), false, e.getMessage(), true);
        }
    }

    private static void awaitUnpaused(LockstepControl control) {
        try {
            control.awaitUnpaused();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            control.stopGracefully();
        }
    }

    private DataPosition position() {
        long trained = setup.startData.trained() + (core.step() - setup.startStep) * setup.config.train().batchGroups();
        return new DataPosition(nextIndex, nextOrdinal, List.copyOf(pending), trained, dropped, skipped);
    }

    private List<PromptWork> admit(int n) {
        List<PromptWork> out = new ArrayList<>();
        while (out.size() < n) {
            DataPosition.Pending again = pending.poll();
            if (again == null && setup.source.exhausted(nextIndex)) {
                break;
            }
            long key = again != null ? again.key() : nextIndex++;
            Prompt p = setup.source.at(key);
            try {
                int[] tokens = setup.encoder.encode(p);
                long ordinal = again != null ? again.ordinal() : nextOrdinal++;
                out.add(new PromptWork(key, ordinal, p.id(), p.displayText(), tokens, p.answer(), p.metadata()));
            } catch (PromptEncoder.Unusable e) {
                if (setup.encoder.fatal()) {
                    throw new IllegalArgumentException("prompt " + p.id() + " cannot be used: " + e.getMessage()
                            + " (data.long-prompts = fail)");
                }
                skipped++;
                setup.gauges.promptsSkipped.incrementAndGet();
            }
        }
        setup.gauges.promptsAdmitted.addAndGet(out.size());
        return out;
    }

    private List<Rollout> sample(Sampler sampler, List<PromptWork> prompts, int groupSize) {
        List<Sampler.Request> requests = new ArrayList<>();
        for (PromptWork p : prompts) {
            requests.add(new Sampler.Request(p.key(), p.tokens(), groupSize));
        }
        List<List<Completion>> out = sampler.generate(requests, setup.config.sampling(), setup.config.seed(), 0);
        List<Rollout> rollouts = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            for (Completion c : out.get(i)) {
                setup.gauges.samplesGenerated.incrementAndGet();
                setup.gauges.tokensGenerated.addAndGet(c.tokens().length);
                rollouts.add(new Rollout(prompts.get(i), c.sampleIndex(), groupSize, core.step(), c.tokens(),
                        c.logprobs(), c.text(), c.truncated()));
            }
        }
        return rollouts;
    }

    /** Scores every rollout, at most {@code verifier.concurrency} calls in flight at a time, and groups them. */
    private List<Group> score(List<Rollout> rollouts, int groupSize) {
        Semaphore slots = new Semaphore(setup.config.verifier().concurrency());
        List<CompletableFuture<ScoredRollout>> calls = new ArrayList<>(rollouts.size());
        for (Rollout r : rollouts) {
            slots.acquireUninterruptibly();
            calls.add(setup.calls.call(new VerifyRequest(r.prompt().text(), r.text(), r.prompt().answer(),
                    r.prompt().metadata(), r.tokens().length)).toCompletableFuture().thenApply(o -> {
                        slots.release();
                        setup.gauges.record(o);
                        return new ScoredRollout(r, o);
                    }));
        }
        List<ScoredRollout> scored = new ArrayList<>(rollouts.size());
        calls.forEach(f -> scored.add(f.join()));
        GroupAssembler assembler = new GroupAssembler(groupSize);
        List<Group> groups = new ArrayList<>();
        for (ScoredRollout s : scored) {
            Optional<Group> g = assembler.add(s);
            g.ifPresent(groups::add);
        }
        return groups;
    }
}
