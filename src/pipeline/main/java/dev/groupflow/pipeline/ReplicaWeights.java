package dev.groupflow.pipeline;

import dev.groupflow.model.CausalLm;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * A sampling stage's replica and which published weights it holds: before a grant is sampled it takes the newest
 * weights, or, in deterministic mode, exactly the version each prompt's admission ordinal implies (prompts of one
 * grant may need different versions after a restart: one pass per version). Shared by the sampler and the episode
 * stage.
 */
final class ReplicaWeights {
    private final WeightStore weights;
    private final Optional<SamplerActor.ExactVersions> exact;
    private final CausalLm replica;
    private long version = -1;

    /** Work on some prompts with the replica holding the weights of {@code version}. */
    @FunctionalInterface
    interface Work<E extends Exception> {
        void run(List<PromptWork> prompts, long version) throws E;
    }

    private ReplicaWeights(WeightStore weights, Optional<SamplerActor.ExactVersions> exact, CausalLm replica) {
        this.weights = weights;
        this.exact = exact;
        this.replica = replica;
    }

    /**
     * A sampling stage's replica, made on the stage's own thread: with PyTorch's ops single-threaded there in
     * deterministic mode, and without gradients (sampling never trains).
     */
    static ReplicaWeights open(Supplier<CausalLm> replicaFactory, WeightStore weights,
                               Optional<SamplerActor.ExactVersions> exact) {
        if (exact.isPresent()) {
            Determinism.singleThreaded();
        }
        CausalLm replica = replicaFactory.get();
        replica.setRequiresGradient(false);
        return new ReplicaWeights(weights, exact, replica);
    }

    /** The replica the stage samples with (it closes it). */
    CausalLm replica() {
        return replica;
    }

    /** Runs {@code work} on the grant's prompts, once per version they need, with the replica holding it. */
    <E extends Exception> void forEachVersion(List<PromptWork> prompts, Work<E> work) throws E {
        if (exact.isEmpty()) {
            if (weights.version() != version) {
                version = weights.copyInto(replica);
            }
            work.run(prompts, version);
            return;
        }
        Map<Long, List<PromptWork>> byVersion = new TreeMap<>();
        for (PromptWork p : prompts) {
            byVersion.computeIfAbsent(exact.get().versionFor(p.ordinal()), v -> new ArrayList<>()).add(p);
        }
        for (var e : byVersion.entrySet()) {
            if (e.getKey() != version) {
                weights.copyInto(replica, e.getKey());
                version = e.getKey();
            }
            work.run(e.getValue(), version);
        }
    }
}
