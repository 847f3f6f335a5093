package dev.groupflow.metrics;

import java.awt.AWTError;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a run's charts fresh while it trains: as a listener of the step reporter it asks for a redraw every
 * {@code every} steps (0 = never during the run), and the drawing happens on a thread of its own, so the learner
 * never waits for it. Requests made while a drawing is queued are merged into it (at most one drawing runs and one
 * waits). {@link #finish()} draws once more at the end. A drawing that fails is logged, never thrown.
 */
public final class ChartRefresher implements Consumer<Map<String, Object>>, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ChartRefresher.class);

    private final int every;
    private final Supplier<List<Path>> draw;
    private final AtomicBoolean queued = new AtomicBoolean();
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "groupflow-charts");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean warned;

    /** Draws {@link Charts#render(Path) the charts of runDir}. */
    public ChartRefresher(Path runDir, int every) {
        this(every, () -> Charts.render(runDir));
    }

    /** Runs {@code draw} (on its own thread) for each merged request. */
    public ChartRefresher(int every, Supplier<List<Path>> draw) {
        this.every = every;
        this.draw = draw;
    }

    @Override
    public void accept(Map<String, Object> line) {
        if (every > 0 && line.get("step") instanceof Number step && step.longValue() % every == 0) {
            request();
        }
    }

    /** Asks for a redraw; returns at once. */
    public void request() {
        if (queued.compareAndSet(false, true)) {
            try {
                executor.execute(() -> {
                    queued.set(false);
                    drawQuietly();
                });
            } catch (RejectedExecutionException finished) {
                queued.set(false);
            }
        }
    }

    /** Waits for the drawings asked for, then draws once more (on the calling thread); returns the files written. */
    public List<Path> finish() {
        close();
        return drawQuietly();
    }

    private List<Path> drawQuietly() {
        try {
            return draw.get();
        } catch (RuntimeException | AWTError | LinkageError e) {
            if (!warned) {
                warned = true;
                LOG.warn("cannot draw the charts: {}", e.toString());
            }
            return List.of();
        }
    }

    /** Stops the drawing thread after the drawings asked for (waiting at most a minute). */
    @Override
    public void close() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(1, TimeUnit.MINUTES)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
