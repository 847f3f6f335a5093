package dev.groupflow.cluster;

import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Runs on a worker node: once a learner has been seen, the worker's actor system terminates when no learner is left
 * in the cluster (the run ended, or the learner was downed). A worker serves one run; whatever restarts it (a
 * shell loop, systemd, Kubernetes) has it join the next one.
 */
public final class LearnerWatch {
    private LearnerWatch() {
    }

    public static Behavior<ClusterEvent.MemberEvent> create() {
        return Behaviors.setup(ctx -> {
            Cluster cluster = Cluster.get(ctx.getSystem());
            cluster.subscriptions().tell(Subscribe.create(ctx.getSelf(), ClusterEvent.MemberEvent.class));
            boolean[] seen = {false};
            return Behaviors.receive(ClusterEvent.MemberEvent.class)
                    .onMessage(ClusterEvent.MemberEvent.class, e -> {
                        if (!e.member().hasRole("learner")) {
                            return Behaviors.same();
                        }
                        if (e instanceof ClusterEvent.MemberUp) {
                            if (!seen[0]) {
                                ctx.getLog().info("joined the learner at {}", e.member().address());
                            }
                            seen[0] = true;
                        } else if (seen[0] && (e instanceof ClusterEvent.MemberRemoved || e instanceof ClusterEvent.MemberLeft
                                || e instanceof ClusterEvent.MemberExited || e instanceof ClusterEvent.MemberDowned)) {
                            boolean anyLearner = false;
                            for (var m : cluster.state().getMembers()) {
                                anyLearner |= m.hasRole("learner") && !m.address().equals(e.member().address())
                                        && m.status() == MemberStatus.up();
                            }
                            if (!anyLearner) {
                                ctx.getLog().info("the learner at {} left ({}): this worker stops",
                                        e.member().address(), e.getClass().getSimpleName());
                                ctx.getSystem().terminate();
                                return Behaviors.stopped();
                            }
                        }
                        return Behaviors.same();
                    })
                    .build();
        });
    }
}
