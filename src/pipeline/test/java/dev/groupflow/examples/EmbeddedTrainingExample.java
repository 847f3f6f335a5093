package dev.groupflow.examples;

import dev.groupflow.data.Prompt;
import dev.groupflow.embed.GrpoTraining;
import dev.groupflow.verify.ActorVerifier;
import dev.groupflow.verify.Reward;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.javadsl.Source;

/**
 * An application that embeds GRPO training beside its own actors (docs/embedding.md walks through it):
 *
 * <ul>
 *   <li>{@code answerBook}: the application's own actor that knows the right answers; training scores completions
 *       by asking it (an {@link ActorVerifier});</li>
 *   <li>a stream of prompts the application produces (here: digit strings to reverse);</li>
 *   <li>{@code monitor}: an actor that subscribes to the training's events;</li>
 *   <li>the training itself, one actor among the others.</li>
 * </ul>
 */
public final class EmbeddedTrainingExample {
    private EmbeddedTrainingExample() {
    }

    /** What the example exposes for its test: counters the application's actors update. */
    public record Observed(AtomicInteger scored, List<GrpoTraining.Event> events, List<Long> stepsSeenByListener) {
    }

    /** The application's scorer: reward = fraction of positions right against the reversed digits. */
    static Behavior<ActorVerifier.Score> answerBook(AtomicInteger scored) {
        return Behaviors.receiveMessage(m -> {
            String digits = m.request().prompt().replace(">", "");
            String answer = new StringBuilder(digits).reverse().toString();
            String completion = m.request().completion();
            int right = 0;
            for (int i = 0; i < Math.min(answer.length(), completion.length()); i++) {
                right += answer.charAt(i) == completion.charAt(i) ? 1 : 0;
            }
            scored.incrementAndGet();
            m.replyTo().tell(new ActorVerifier.Scored(Reward.of((double) right
                    / Math.max(answer.length(), completion.length()))));
            return Behaviors.same();
        });
    }

    static Behavior<GrpoTraining.Event> monitor(List<GrpoTraining.Event> events) {
        return Behaviors.receiveMessage(e -> {
            events.add(e);
            return Behaviors.same();
        });
    }

    /** The application's prompts: an endless stream of digit strings followed by '>'. */
    static Source<Prompt, ?> prompts(long seed) {
        Random rng = new Random(seed);
        return Source.repeat(0).map(x -> {
            String digits = Integer.toString(100 + rng.nextInt(9900));
            return Prompt.text("app-" + digits, digits + ">", null);
        });
    }

    /** The application's guardian: its own actors plus the training, started right away. */
    public static Behavior<Void> application(Path runDir, int steps, Observed observed) {
        return Behaviors.setup(ctx -> {
            ActorRef<ActorVerifier.Score> book = ctx.spawn(answerBook(observed.scored()), "answer-book");
            ActorRef<GrpoTraining.Event> monitor = ctx.spawn(monitor(observed.events()), "monitor");
            ActorRef<GrpoTraining.Command> training = ctx.spawn(GrpoTraining.builder()
                    .runDir(runDir)
                    .set("train.steps=" + steps).set("grpo.group-size=4").set("train.batch-groups=4")
                    .set("pipeline.sampler-batch-prompts=4").set("checkpoint.every=0").set("model.device=cpu")
                    .prompts(prompts(5))
                    .verifier(new ActorVerifier(book, ctx.getSystem().scheduler(), Duration.ofSeconds(30)))
                    .onMetrics(line -> observed.stepsSeenByListener().add(((Number) line.get("step")).longValue()))
                    .build(), "training");
            training.tell(new GrpoTraining.Subscribe(monitor));
            training.tell(GrpoTraining.Start.INSTANCE);
            return Behaviors.empty();
        });
    }

    public static Observed observed() {
        return new Observed(new AtomicInteger(), new CopyOnWriteArrayList<>(), new CopyOnWriteArrayList<>());
    }
}
