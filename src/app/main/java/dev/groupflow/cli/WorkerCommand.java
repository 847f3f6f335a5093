package dev.groupflow.cli;

import dev.groupflow.cluster.ClusterSettings;
import dev.groupflow.cluster.LearnerWatch;
import dev.groupflow.cluster.SamplerWorker;
import dev.groupflow.cluster.VerifierWorker;
import dev.groupflow.model.Devices;
import dev.groupflow.pipeline.TrainingSupervisor;
import dev.groupflow.run.RunConfig;
import dev.groupflow.run.RunVerifiers;
import dev.groupflow.verify.Verifier;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code groupflow worker}: a verifier or sampler worker joining a learner's cluster. */
@Command(name = "worker", description = "Join a training cluster as a verifier or sampler worker (docs/cluster.md).")
final class WorkerCommand implements Callable<Integer> {

    @Option(names = "--role", required = true, description = "verifier | sampler")
    String role;

    @Option(names = "--seed-nodes", required = true, split = ",",
            description = "cluster nodes to join, e.g. pekko://groupflow@10.0.0.5:25520 (comma-separated)")
    List<String> seedNodes;

    @Option(names = "--hostname", defaultValue = "127.0.0.1", description = "address to bind (default: ${DEFAULT-VALUE})")
    String hostname;

    @Option(names = "--port", defaultValue = "0", description = "port to bind; 0 = any (default: ${DEFAULT-VALUE})")
    int port;

    /** The verifier's settings, for a verifier worker. */
    @Mixin
    ConfigOptions config;

    @Override
    public Integer call() throws Exception {
        if (!role.equals("verifier") && !role.equals("sampler")) {
            System.err.println("groupflow: --role must be verifier or sampler, got " + role);
            return 2;
        }
        List<String> all = new ArrayList<>(config.sets);
        all.addAll(List.of("cluster.enabled=true", "cluster.hostname=" + hostname, "cluster.port=" + port));
        RunConfig rc = RunConfig.load(config.file, all);
        ClusterSettings cluster = rc.cluster();
        ScheduledExecutorService scheduler = RunVerifiers.timers("groupflow-worker-timer");
        Verifier verifier = role.equals("verifier") ? RunVerifiers.configured(rc, scheduler) : null;
        Verifier scoring = verifier;
        ActorSystem<Void> system = ActorSystem.create(Behaviors.<Void>setup(ctx -> {
            ctx.spawn(LearnerWatch.create(), "learner-watch");
            if (scoring != null) {
                for (int i = 0; i < cluster.workerConcurrency(); i++) {
                    ctx.spawn(VerifierWorker.consumer(scoring), "verifier-" + i);
                }
            } else {
                ctx.spawn(SamplerWorker.consumer(Devices.resolve(rc.model().device())), "sampler",
                        DispatcherSelector.fromConfig(TrainingSupervisor.PINNED));
            }
            return Behaviors.empty();
        }), ClusterSettings.SYSTEM, cluster.pekkoConfig(role, seedNodes));
        System.err.println("groupflow: " + role + " worker at " + system.address() + " joining " + seedNodes);
        Signals.onTerminate(system::terminate);
        system.getWhenTerminated().toCompletableFuture().get();
        if (verifier != null) {
            verifier.close();
        }
        scheduler.shutdownNow();
        return 0;
    }
}
