package dev.groupflow.pipeline;

import dev.groupflow.metrics.PipelineGauges;
import dev.groupflow.model.CausalLm;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.function.BooleanSupplier;

/**
 * The baseline: sample a whole batch, score all of it, train, repeat (how TRL's GRPOTrainer works). Nothing
 * overlaps: verification starts when the last completion of the batch is sampled, and the next batch waits for the
 * update. It admits prompts with the same {@link Ledger}, chunks them for the sampler and orders the batch exactly
 * as the streaming pipeline does, so with {@code max-staleness = 0} both modes train on the same samples.
 */
public final class LockstepTrainer {
    private final PromptSupply.Settings prompts;
    private final SamplerActor.Settings sampling;
    private final TrainingSupervisor.Verification verification;
    private final TrainingCore core;
    private final Ledger ledger;

    /**
     * A lockstep run made of the streaming pipeline's own parts: the supply's prompts and admission, the sampler's
     * replica and sampling, the verifier calls and group assembly, and the training core.
     */
    public LockstepTrainer(PromptSupply.Settings prompts, SamplerActor.Settings sampling,
                           TrainingSupervisor.Verification verification, TrainingCore core) {
        this.prompts = prompts;
        this.sampling = sampling;
        this.verification = verification;
        this.core = core;
        this.ledger = new Ledger(prompts.source(), prompts.encoder(), prompts.resumeFrom());
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
        int batchGroups = prompts.batchGroups();
        int chunk = sampling.batchPrompts();
        try (CausalLm replica = sampling.replicaFactory().get()) {
            replica.setRequiresGradient(false);
            RolloutSampler sampler = new RolloutSampler(replica, sampling.tokenizer(), sampling.sampling());
            while (!core.finished()) {
                awaitUnpaused(control);
                while (control.paused() && !control.stopRequested() && control.takeCheckpointRequest()) {
                    core.checkpoint(ledger.position()); // asked for while paused: no step to wait for
                    awaitUnpaused(control);
                }
                if (control.stopRequested()) {
                    core.finalCheckpoint(ledger.position());
                    return new RunResult.Interrupted(core.step());
                }
                sampling.weights().copyInto(replica);
                List<Group> batch = new ArrayList<>();
                boolean exhausted = false;
                while (batch.size() < batchGroups) {
                    List<PromptWork> admitted = admit(batchGroups - batch.size());
                    if (admitted.isEmpty()) {
                        exhausted = true;
                        break;
                    }
                    List<Rollout> rollouts = new ArrayList<>();
                    for (int from = 0; from < admitted.size(); from += chunk) {
                        int to = Math.min(admitted.size(), from + chunk);
                        rollouts.addAll(sample(sampler, admitted.subList(from, to)));
                    }
                    for (Group g : score(rollouts)) {
                        if (verification.filterZeroVariance() && g.zeroVariance()) {
                            gauges().groupsFiltered.incrementAndGet();
                            gauges().samplesFiltered.addAndGet(g.members().size());
                            ledger.dropped(g.promptKey());
                        } else {
                            batch.add(g);
                        }
                    }
                }
                if (batch.isEmpty()) {
                    break;
                }
                core.train(batch);
                batch.forEach(g -> ledger.trained(g.promptKey()));
                if (exhausted) {
                    break;
                }
                boolean asked = control.takeCheckpointRequest();
                if (core.checkpointDue() || asked) {
                    core.checkpoint(ledger.position());
                }
            }
            core.finalCheckpoint(ledger.position());
            return new RunResult.Completed(core.step());
        } catch (CheckpointsFailedException e) {
            return new RunResult.Failed(core.step(), e.getMessage(), true);
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

    private PipelineGauges gauges() {
        return prompts.gauges();
    }

    /** Up to {@code n} prompts, as the supply admits them (skipped ones counted). */
    private List<PromptWork> admit(int n) {
        List<PromptWork> out = new ArrayList<>();
        while (out.size() < n && !ledger.exhausted()) {
            Ledger.Admission next = ledger.admitNext();
            if (next instanceof Ledger.Admitted a) {
                out.add(a.prompt());
            } else {
                gauges().promptsSkipped.incrementAndGet();
            }
        }
        gauges().promptsAdmitted.addAndGet(out.size());
        return out;
    }

    private List<Rollout> sample(RolloutSampler sampler, List<PromptWork> prompts) {
        List<Rollout> rollouts = sampler.sample(prompts, core.step());
        for (Rollout r : rollouts) {
            gauges().samplesGenerated.incrementAndGet();
            gauges().tokensGenerated.addAndGet(r.tokens().length);
        }
        return rollouts;
    }

    /** Scores every rollout, at most {@code verifier.concurrency} calls in flight at a time, and groups them. */
    private List<Group> score(List<Rollout> rollouts) {
        Semaphore slots = new Semaphore(verification.concurrency());
        List<CompletableFuture<ScoredRollout>> calls = new ArrayList<>(rollouts.size());
        for (Rollout r : rollouts) {
            slots.acquireUninterruptibly();
            calls.add(verification.calls().call(r.verifyRequest()).toCompletableFuture().thenApply(o -> {
                        slots.release();
                        gauges().record(o);
                        return new ScoredRollout(r, o);
                    }));
        }
        List<ScoredRollout> scored = new ArrayList<>(rollouts.size());
        calls.forEach(f -> scored.add(f.join()));
        GroupAssembler assembler = new GroupAssembler(verification.groupSize());
        List<Group> groups = new ArrayList<>();
        for (ScoredRollout s : scored) {
            Optional<Group> g = assembler.add(s);
            g.ifPresent(groups::add);
        }
        return groups;
    }
}
