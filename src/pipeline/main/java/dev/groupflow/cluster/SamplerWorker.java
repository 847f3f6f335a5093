package dev.groupflow.cluster;

import ai.djl.Device;
import dev.groupflow.pipeline.Rollout;
import dev.groupflow.pipeline.RolloutSampler;
import dev.groupflow.sampling.Policy;
import java.nio.file.Path;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.delivery.ConsumerController;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A sampler worker's consumer: registered under {@link RemoteSamplerBridge#KEY}, it takes one job at a time, loads
 * the job's policy version from its shared checkpoint directory when it differs from the one it holds, samples,
 * answers, then confirms. Runs on a pinned thread (PyTorch state is per thread).
 */
public final class SamplerWorker {
    private SamplerWorker() {
    }

    /** The consumer's messages (internal). */
    public sealed interface Command {
    }

    private record Delivered(ConsumerController.Delivery<SampleJob> delivery) implements Command {
    }

    public static Behavior<Command> consumer(Device device) {
        return Behaviors.<Command>setup(ctx -> {
            ActorRef<ConsumerController.Command<SampleJob>> controller = ctx.spawn(
                    ConsumerController.create(RemoteSamplerBridge.KEY), "consumer-controller");
            controller.tell(new ConsumerController.Start<>(
                    ctx.messageAdapter(ConsumerController.deliveryClass(), Delivered::new)));
            String self = ctx.getSystem().address().toString();
            Policy[] held = new Policy[1];
            long[] version = {-1};
            return Behaviors.receive(Command.class)
                    .onMessage(Delivered.class, d -> {
                        SampleJob job = d.delivery().message();
                        SampleAnswer answer;
                        try {
                            if (version[0] != job.version()) {
                                if (held[0] != null) {
                                    held[0].close();
                                    held[0] = null;
                                }
                                held[0] = Policy.load(Path.of(job.weightsDir()), device);
                                version[0] = job.version();
                            }
                            answer = new SampleAnswer(job.id(), sample(held[0], job), null, self);
                        } catch (RuntimeException e) {
                            ctx.getLog().warn("job {} failed: {}", job.id(), e.toString());
                            version[0] = -1;
                            answer = new SampleAnswer(job.id(), List.of(), e.toString(), self);
                        }
                        job.replyTo().tell(answer);
                        d.delivery().confirmTo().tell(ConsumerController.confirmed());
                        return Behaviors.same();
                    })
                    .onSignal(PostStop.class, s -> {
                        if (held[0] != null) {
                            held[0].close();
                        }
                        return Behaviors.same();
                    })
                    .build();
        });
    }

    private static List<Rollout> sample(Policy policy, SampleJob job) {
        return new RolloutSampler(policy.model(), policy.tokenizer(), job.sampling()).sample(job.prompts(),
                job.version());
    }
}
