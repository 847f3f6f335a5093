package dev.groupflow.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.groupflow.verify.Outcome;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class GroupAssemblerTest {
    private static final ActorTestKit KIT = ActorTestKit.create();

    @AfterAll
    static void shutdown() {
        KIT.shutdownTestKit();
    }

    @Test
    void groupsAreEmittedTheMomentTheirLastMemberArrivesInAnyOrder() throws Exception {
        int g = 4;
        List<ScoredRollout> all = new ArrayList<>();
        for (long key = 0; key < 6; key++) {
            for (int i = 0; i < g; i++) {
                all.add(Rollouts.scored(key, i, key * 10 + i));
            }
        }
        Collections.shuffle(all, new Random(3));
        List<Group> groups = Source.from(all).via(GroupAssembler.flow(g, false, x -> { }))
                .runWith(Sink.seq(), KIT.system()).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(6, groups.size());
        // each group is emitted right after the position of its last member in the arrival order
        List<Long> completionOrder = new ArrayList<>();
        Map<Long, Integer> seen = new HashMap<>();
        for (ScoredRollout s : all) {
            long k = s.rollout().prompt().key();
            if (seen.merge(k, 1, Integer::sum) == g) {
                completionOrder.add(k);
            }
        }
        assertEquals(completionOrder, groups.stream().map(Group::promptKey).toList());
        for (Group group : groups) {
            for (int i = 0; i < g; i++) {
                assertEquals(i, group.members().get(i).rollout().sampleIndex());
                assertEquals(group.promptKey() * 10 + i, ((Outcome.Scored) group.members().get(i).outcome()).reward());
            }
        }
    }

    @Test
    void zeroVarianceGroupsAreFilteredAndReported() throws Exception {
        List<ScoredRollout> all = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            all.add(Rollouts.scored(1, i, 0.5)); // no signal
            all.add(Rollouts.scored(2, i, i));   // signal
        }
        List<Group> filtered = new CopyOnWriteArrayList<>();
        List<Group> out = Source.from(all).via(GroupAssembler.flow(3, true, filtered::add))
                .runWith(Sink.seq(), KIT.system()).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(List.of(2L), out.stream().map(Group::promptKey).toList());
        assertEquals(List.of(1L), filtered.stream().map(Group::promptKey).toList());
    }

    @Test
    void duplicatesDoNotCompleteAGroup() {
        GroupAssembler a = new GroupAssembler(2);
        assertTrue(a.add(Rollouts.scored(7, 0, 1)).isEmpty());
        assertTrue(a.add(Rollouts.scored(7, 0, 1)).isEmpty());
        assertEquals(1, a.incompleteGroups());
        assertTrue(a.add(Rollouts.scored(7, 1, 0)).isPresent());
        assertEquals(0, a.incompleteGroups());
    }
}
