package dev.groupflow.verify;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Adds artificial latency to a verifier, to emulate a slow external one: {@code fixed} waits exactly the mean;
 * {@code lognormal} draws from a log-normal with the given mean and sigma (sigma 1: a heavy tail, the 99th
 * percentile about 10× the median). The wait is a scheduled completion: it holds no thread.
 */
public final class LatencyVerifier implements Verifier {
    private final Verifier inner;
    private final String distribution;
    private final double meanMillis;
    private final double sigma;
    private final ScheduledExecutorService scheduler;
    private final SplittableRandom rng;

    public LatencyVerifier(Verifier inner, String distribution, Duration mean, double sigma, long seed,
                           ScheduledExecutorService scheduler) {
        this.inner = inner;
        this.distribution = distribution;
        this.meanMillis = mean.toNanos() / 1e6;
        this.sigma = sigma;
        this.scheduler = scheduler;
        this.rng = new SplittableRandom(seed);
    }

    /** One latency draw in milliseconds. */
    synchronized double draw() {
        if (distribution.equals("fixed")) {
            return meanMillis;
        }
        // log-normal with E[X] = mean: mu = ln(mean) - sigma^2 / 2
        double mu = Math.log(meanMillis) - sigma * sigma / 2;
        double u1 = rng.nextDouble();
        double u2 = rng.nextDouble();
        double normal = Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
        return Math.exp(mu + sigma * normal);
    }

    @Override
    public CompletionStage<Reward> score(VerifyRequest request) {
        long delayMicros = (long) (draw() * 1000);
        CompletableFuture<Reward> out = new CompletableFuture<>();
        scheduler.schedule(() -> inner.score(request).whenComplete((r, e) -> {
            if (e != null) {
                out.completeExceptionally(e);
            } else {
                out.complete(r);
            }
        }), delayMicros, TimeUnit.MICROSECONDS);
        return out;
    }

    @Override
    public void close() {
        inner.close();
    }
}
