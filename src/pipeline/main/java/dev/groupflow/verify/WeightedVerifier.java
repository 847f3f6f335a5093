package dev.groupflow.verify;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;

/**
 * Runs several verifiers on the same request, concurrently, and sums {@code weight × reward}. Each part's own
 * (unweighted) reward is a component named after the part, and its components are kept as
 * {@code part.component}, so every part appears in the per-component metrics. When a part fails (completes
 * exceptionally or returns a non-finite reward) the combination fails too ({@link OnFailure#FAIL}, the default:
 * a partial sum would be a reward the completion did not earn), or, with {@link OnFailure#ZERO}, that part counts
 * 0 and the failure is named in the details. A part that never answers makes the whole call time out.
 */
public final class WeightedVerifier implements Verifier {
    private final List<Part> parts;
    private final OnFailure onFailure;

    /** What a failed part does to the combination. */
    public enum OnFailure { FAIL, ZERO }

    /**
     * @param name the component name (unique within the combination)
     * @param weight its weight (may be negative or 0)
     * @param verifier the part
     */
    public record Part(String name, double weight, Verifier verifier) {
    }

    public WeightedVerifier(List<Part> parts, OnFailure onFailure) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("a weighted verifier needs at least one part");
        }
        this.parts = List.copyOf(parts);
        this.onFailure = onFailure;
    }

    @Override
    public CompletionStage<Reward> score(VerifyRequest request) {
        List<CompletableFuture<Reward>> calls = new ArrayList<>(parts.size());
        for (Part p : parts) {
            CompletableFuture<Reward> call;
            try {
                call = p.verifier().score(request).toCompletableFuture();
            } catch (RuntimeException e) {
                call = CompletableFuture.failedFuture(e);
            }
            calls.add(call.thenApply(r -> {
                if (r == null || !Double.isFinite(r.value())) {
                    throw new VerifierFailure("returned " + (r == null ? "no reward" : "reward " + r.value()), true);
                }
                return r;
            }));
        }
        // wait for every part (never leave one running unobserved), then combine
        return CompletableFuture.allOf(calls.stream().map(c -> c.handle((r, e) -> null))
                .toArray(CompletableFuture[]::new)).thenApply(done -> combine(calls));
    }

    private Reward combine(List<CompletableFuture<Reward>> calls) {
        double total = 0;
        Map<String, Double> components = new LinkedHashMap<>();
        List<String> details = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            Part p = parts.get(i);
            Reward r;
            try {
                r = calls.get(i).join();
            } catch (CompletionException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                String what = "part '" + p.name() + "' failed: " + describe(cause);
                if (onFailure == OnFailure.FAIL) {
                    if (cause instanceof TimeoutException) {
                        // the part's own deadline: the combination times out too
                        throw new CompletionException(new TimeoutException(what));
                    }
                    boolean retryable = !(cause instanceof VerifierFailure f) || f.retryable();
                    throw new VerifierFailure(what, retryable, cause);
                }
                components.put(p.name(), 0.0);
                details.add(what + " (counted 0)");
                continue;
            }
            total += p.weight() * r.value();
            components.put(p.name(), r.value());
            r.components().forEach((k, v) -> components.put(p.name() + "." + k, v));
            if (!r.details().isEmpty()) {
                details.add(p.name() + ": " + r.details());
            }
        }
        return new Reward(total, components, String.join("; ", details));
    }

    private static String describe(Throwable t) {
        return t instanceof VerifierFailure ? t.getMessage()
                : t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    @Override
    public void close() {
        parts.forEach(p -> p.verifier().close());
    }
}
