package dev.groupflow.examples;

import dev.groupflow.agent.ActorEnvironment;
import dev.groupflow.agent.EpisodeStep;
import dev.groupflow.agent.Observation;
import dev.groupflow.agent.Transition;
import dev.groupflow.embed.GrpoTraining;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * An application that trains an agent against one of its own actors (docs/agents.md, "Embedding an actor
 * environment"): {@code twoTurns} is the environment, {@link GrpoTraining} plays episodes against it through the
 * {@link ActorEnvironment} protocol.
 *
 * <p>The game is the application's, not groupflow's: the policy sees one {@code ?} per digit of the task's hidden
 * string and {@code :}; each turn earns 0.5 when its first character is the hidden string's first digit; the
 * episode ends after exactly two turns. A repeated turn (a retry) is answered with the reply already given.
 */
public final class EmbeddedAgentExample {
    private EmbeddedAgentExample() {
    }

    /** What the example exposes for its test: what the application's actors saw. */
    public record Observed(AtomicInteger starts, AtomicInteger steps, AtomicInteger ends,
                           List<GrpoTraining.Event> events) {
    }

    public static Observed observed() {
        return new Observed(new AtomicInteger(), new AtomicInteger(), new AtomicInteger(),
                new CopyOnWriteArrayList<>());
    }

    /** The application's environment actor. */
    static Behavior<ActorEnvironment.Command> twoTurns(Observed seen) {
        return Behaviors.setup(ctx -> {
            Map<String, String> hidden = new HashMap<>();          // episode id -> hidden string (lost on restart)
            Map<String, Transition> replies = new HashMap<>();     // "episode/turn" -> the reply given
            return Behaviors.receiveMessage(m -> {
                if (m instanceof ActorEnvironment.Start s) {
                    seen.starts().incrementAndGet();
                    String answer = s.start().task().answer();
                    hidden.put(s.start().episodeId(), answer);
                    s.replyTo().tell(new ActorEnvironment.Started(Observation.text("?".repeat(answer.length()) + ":",
                            "start")));
                } else if (m instanceof ActorEnvironment.Step s) {
                    seen.steps().incrementAndGet();
                    EpisodeStep step = s.step();
                    String answer = hidden.get(step.episodeId());
                    if (answer == null) {
                        s.replyTo().tell(new ActorEnvironment.Refused("unknown episode " + step.episodeId(), false));
                        return Behaviors.same();
                    }
                    Transition t = replies.computeIfAbsent(step.episodeId() + "/" + step.turn(), k -> {
                        String text = step.action().text();
                        double reward = !text.isEmpty() && text.charAt(0) == answer.charAt(0) ? 0.5 : 0.0;
                        boolean done = step.turn() == 1;
                        return new Transition(done ? null : Observation.text(":", "turn" + step.turn()), reward, done);
                    });
                    s.replyTo().tell(new ActorEnvironment.Stepped(t));
                } else if (m instanceof ActorEnvironment.End e) {
                    seen.ends().incrementAndGet();
                    hidden.remove(e.episodeId());
                    replies.keySet().removeIf(k -> k.startsWith(e.episodeId() + "/"));
                    e.replyTo().tell(new ActorEnvironment.Ended());
                }
                return Behaviors.same();
            });
        });
    }

    static Behavior<GrpoTraining.Event> monitor(List<GrpoTraining.Event> events) {
        return Behaviors.receiveMessage(e -> {
            events.add(e);
            return Behaviors.same();
        });
    }

    /** The application's guardian: its environment actor, a monitor, and an agent run against the environment. */
    public static Behavior<Void> application(Path runDir, int steps, Observed seen) {
        return Behaviors.setup(ctx -> {
            ActorRef<ActorEnvironment.Command> games = ctx.spawn(ActorEnvironment.supervised(twoTurns(seen)),
                    "games");
            ActorRef<GrpoTraining.Event> monitor = ctx.spawn(monitor(seen.events()), "monitor");
            ActorRef<GrpoTraining.Command> training = ctx.spawn(GrpoTraining.builder()
                    .runDir(runDir)
                    .set("task.name=guess").set("agent.max-turns=3").set("agent.max-turn-tokens=4")
                    .set("train.steps=" + steps).set("grpo.group-size=4").set("train.batch-groups=2")
                    .set("pipeline.sampler-batch-prompts=2").set("checkpoint.every=0").set("model.device=cpu")
                    .environment(games)
                    .build(), "training");
            training.tell(new GrpoTraining.Subscribe(monitor));
            training.tell(GrpoTraining.Start.INSTANCE);
            return Behaviors.empty();
        });
    }
}
