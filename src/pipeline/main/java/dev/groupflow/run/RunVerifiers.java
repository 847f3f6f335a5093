package dev.groupflow.run;

import dev.groupflow.cluster.RemoteVerifier;
import dev.groupflow.verify.LatencyVerifier;
import dev.groupflow.verify.Verifier;
import dev.groupflow.verify.VerifierCalls;
import dev.groupflow.verify.registry.Verifiers;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * The verifiers of a run and their timer threads: the one that scores training (the configured one, one the
 * application supplies, or calls to verifier workers on other machines), and, when that one is remote, a local one
 * built from the configuration for the held-out evaluation after the run (it runs without the run's actors).
 */
public final class RunVerifiers implements AutoCloseable {
    private final RunConfig config;
    private final ScheduledExecutorService scheduler;
    private final Verifier verifier;
    private final VerifierCalls calls;
    private Verifier localVerifier;
    private VerifierCalls localCalls;

    /** The run's verifier: {@code override} when given, else verifier workers or the configured verifier. */
    public RunVerifiers(RunConfig config, Optional<Verifier> override) {
        this.config = config;
        this.scheduler = timers("groupflow-verifier-timer");
        try {
            this.verifier = override.orElseGet(() -> config.cluster().remoteVerifiers() ? new RemoteVerifier()
                    : configured(config, scheduler));
        } catch (RuntimeException e) {
            scheduler.shutdownNow();
            throw e;
        }
        this.calls = calls(verifier);
    }

    /** Two daemon threads for verifier timeouts and retries, named {@code name}. */
    public static ScheduledExecutorService timers(String name) {
        return Executors.newScheduledThreadPool(2, daemon(name));
    }

    /** Threads named {@code name} that never keep the JVM alive (a run's helpers end with it). */
    static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** The configured verifier ({@link Verifiers#builtIn()}), with artificial latency when configured. */
    public static Verifier configured(RunConfig c, ScheduledExecutorService scheduler) {
        Verifier v = Verifiers.builtIn().create(c.raw().getConfig("verifier"), scheduler);
        RunConfig.Latency l = c.verifier().latency();
        return l.distribution().equals("none") ? v
                : new LatencyVerifier(v, l.distribution(), l.mean(), l.sigma(), c.seed(), scheduler);
    }

    private VerifierCalls calls(Verifier v) {
        return new VerifierCalls(v, config.verifier().timeout(), config.verifier().retries(),
                config.verifier().retryBackoff(), scheduler);
    }

    /** Calls to the run's verifier, with the configured timeout and retries. */
    public VerifierCalls calls() {
        return calls;
    }

    /** Starts what the verifier needs among the pipeline's actors (verifier workers: the job dispatcher). */
    public void bind(ActorContext<?> supervisor) {
        if (verifier instanceof RemoteVerifier remote) {
            remote.bind(supervisor);
        }
    }

    /**
     * Verifier calls that work without the run's actor system (the held-out evaluation after a run): the run's own
     * calls, or, when verification runs on cluster workers, calls to a verifier built here from the configuration.
     */
    public synchronized VerifierCalls evaluationCalls() {
        if (!(verifier instanceof RemoteVerifier)) {
            return calls;
        }
        if (localCalls == null) {
            localVerifier = configured(config, scheduler);
            localCalls = calls(localVerifier);
        }
        return localCalls;
    }

    @Override
    public void close() {
        verifier.close();
        synchronized (this) {
            if (localVerifier != null) {
                localVerifier.close();
            }
        }
        scheduler.shutdownNow();
    }
}
