package dev.groupflow.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.groupflow.verify.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Which groups each filter drops: zero-variance (DAPO) drops flat groups, all-correct (NGRPO) only correct ones. */
class GroupFilterTest {
    private static final ActorTestKit KIT = ActorTestKit.create();

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    /** A group of prompt {@code key} with these rewards (null: the verifier failed). */
    private static Group group(long key, Double... rewards) {
        List<ScoredRollout> members = new ArrayList<>();
        for (int i = 0; i < rewards.length; i++) {
            Rollout r = Rollouts.rollout(key, i, "x");
            members.add(new ScoredRollout(r, rewards[i] == null ? new Outcome.Failed("broken", 1, 1.0)
                    : new Outcome.Scored(rewards[i], Map.of(), "", 1, 1.0)));
        }
        return new Group(key, members);
    }

    @Test
    void allCorrectDropsOnlyGroupsWhoseEveryScoredRewardIsTheBest() {
        GroupFilter allCorrect = new GroupFilter.AllCorrect(1.0);
        assertTrue(allCorrect.drops(group(0, 1.0, 1.0, 1.0)));
        assertTrue(allCorrect.drops(group(1, 1.0, null, 1.0)), "a failed member does not count");
        assertFalse(allCorrect.drops(group(2, 0.0, 0.0, 0.0)), "all-wrong groups are kept (NGRPO trains on them)");
        assertFalse(allCorrect.drops(group(3, 1.0, 0.0, 1.0)));
        assertFalse(allCorrect.drops(group(4, 0.5, 0.5, 0.5)), "equal but not the best");
        assertFalse(allCorrect.drops(group(5, null, null, null)), "nothing scored: nothing to call correct");
        assertTrue(new GroupFilter.AllCorrect(2.0).drops(group(6, 2.0, 2.0, 2.0)), "r_max is the setting");
        assertTrue(GroupFilter.ZERO_VARIANCE.drops(group(7, 0.0, 0.0, 0.0)));
        assertTrue(GroupFilter.ZERO_VARIANCE.drops(group(8, 1.0, 1.0, 1.0)));
        assertFalse(GroupFilter.NONE.drops(group(9, 1.0, 1.0, 1.0)));
    }

    @Test
    void theAssemblerHandsDroppedGroupsBackAndPassesTheRest() throws Exception {
        List<ScoredRollout> all = new ArrayList<>();
        double[][] rewards = {{1, 1, 1}, {0, 0, 0}, {1, 0, 1}};
        for (int g = 0; g < rewards.length; g++) {
            for (int i = 0; i < 3; i++) {
                all.add(Rollouts.scored(g, i, rewards[g][i]));
            }
        }
        List<Group> dropped = new ArrayList<>();
        List<Group> out = Source.from(all).via(GroupAssembler.flow(3, new GroupFilter.AllCorrect(1.0), null,
                dropped::add)).runWith(Sink.seq(), KIT.system()).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(List.of(1L, 2L), out.stream().map(Group::promptKey).toList());
        assertEquals(List.of(0L), dropped.stream().map(Group::promptKey).toList());
    }
}
