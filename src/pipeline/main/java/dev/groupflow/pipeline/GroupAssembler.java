package dev.groupflow.pipeline;

import dev.groupflow.metrics.PipelineGauges;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Flow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects the G scored completions of each prompt, in whatever order they arrive, and emits the group the
 * moment its last member arrives. With {@code filterZeroVariance} (DAPO's dynamic sampling) a group whose scored
 * rewards are all equal carries no learning signal: it is handed to {@code onFiltered} (which frees its slot so a
 * replacement prompt is drawn) instead of going on to the learner.
 */
public final class GroupAssembler {
    private static final Logger LOG = LoggerFactory.getLogger(GroupAssembler.class);
    private final int groupSize;
    private final Map<Long, ScoredRollout[]> pending = new HashMap<>();
    private final Map<Long, Integer> arrived = new HashMap<>();
    private final PipelineGauges gauges;

    public GroupAssembler(int groupSize) {
        this(groupSize, null);
    }

    /** With gauges, duplicates (a sample delivered twice, say by a sampler that crashed mid-batch) are counted. */
    public GroupAssembler(int groupSize, PipelineGauges gauges) {
        this.groupSize = groupSize;
        this.gauges = gauges;
    }

    /** Adds one member; returns its group when it was the last one missing. */
    public Optional<Group> add(ScoredRollout s) {
        long key = s.rollout().prompt().key();
        int index = s.rollout().sampleIndex();
        ScoredRollout[] slots = pending.computeIfAbsent(key, k -> new ScoredRollout[groupSize]);
        if (index < 0 || index >= groupSize || slots[index] != null) {
            LOG.warn("ignoring duplicate or out-of-range sample {} of prompt {}", index, key);
            if (gauges != null) {
                gauges.samplesDuplicate.incrementAndGet();
            }
            return Optional.empty();
        }
        slots[index] = s;
        int n = arrived.merge(key, 1, Integer::sum);
        if (n < groupSize) {
            return Optional.empty();
        }
        pending.remove(key);
        arrived.remove(key);
        return Optional.of(new Group(key, List.copyOf(Arrays.asList(slots))));
    }

    /** Prompts with some but not all members arrived. */
    public int incompleteGroups() {
        return pending.size();
    }

    /** The assembler as a stream stage. */
    public static Flow<ScoredRollout, Group, NotUsed> flow(int groupSize, boolean filterZeroVariance,
                                                          Consumer<Group> onFiltered) {
        return flow(groupSize, filterZeroVariance, null, onFiltered);
    }

    /** The assembler as a stream stage, counting duplicates in {@code gauges}. */
    public static Flow<ScoredRollout, Group, NotUsed> flow(int groupSize, boolean filterZeroVariance,
                                                          PipelineGauges gauges, Consumer<Group> onFiltered) {
        return Flow.<ScoredRollout>create()
                .statefulMap(() -> new GroupAssembler(groupSize, gauges),
                        (assembler, s) -> Pair.create(assembler, assembler.add(s)),
                        assembler -> Optional.empty())
                .filter(Optional::isPresent)
                .map(Optional::get)
                .filter(g -> {
                    if (filterZeroVariance && g.zeroVariance()) {
                        onFiltered.accept(g);
                        return false;
                    }
                    return true;
                });
    }
}
