package dev.groupflow.pipeline;

import dev.groupflow.data.Prompt;
import dev.groupflow.data.PromptSource;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.SinkQueueWithCancel;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Prompts from any Pekko Streams {@link Source}, for applications that embed training: the n-th element becomes
 * prompt n. Elements are pulled on demand (the source is backpressured by admission control) and kept while they
 * may still be needed, so a prompt handed out again after a sampler restart is the same prompt. When the source
 * completes, the stream is exhausted.
 *
 * <p>Unlike a file or the built-in task, a live source cannot be replayed after the process ends: a resumed run
 * continues from where the new source starts, and prompts that were in flight are not re-derived.
 */
public final class StreamPromptSource implements PromptSource, AutoCloseable {
    private final SinkQueueWithCancel<Prompt> queue;
    private final Duration pullTimeout;
    private final Map<Long, Prompt> pulled = new TreeMap<>();
    private final int keep;
    private long count;
    private boolean completed;

    /**
     * @param keep how many of the most recent prompts stay available for re-delivery (at least what can be in
     *     flight: (max-staleness + 1) × batch-groups)
     * @param pullTimeout how long one pull may wait for the source before the run fails with a clear error
     */
    public StreamPromptSource(Source<Prompt, ?> source, ActorSystem<?> system, int keep, Duration pullTimeout) {
        this.queue = source.runWith(Sink.queue(), system);
        this.keep = keep;
        this.pullTimeout = pullTimeout;
    }

    @Override
    public synchronized Prompt at(long n) {
        fill(n);
        Prompt p = pulled.get(n);
        if (p == null) {
            throw new IllegalArgumentException(n < count ? "prompt " + n + " is no longer kept (increase keep)"
                    : "prompt " + n + " is past the end of the source");
        }
        return p;
    }

    @Override
    public synchronized boolean exhausted(long n) {
        fill(n);
        return completed && n >= count;
    }

    /** Pulls until element n is here or the source has completed. */
    private void fill(long n) {
        while (!completed && count <= n) {
            Optional<Prompt> next;
            try {
                next = queue.pull().toCompletableFuture().get(pullTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new IllegalStateException("the prompt source produced nothing within " + pullTimeout, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the prompt source", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("the prompt source failed: " + e.getCause(), e.getCause());
            }
            if (next.isEmpty()) {
                completed = true;
            } else {
                pulled.put(count++, next.get());
                while (pulled.size() > keep) {
                    pulled.remove(((TreeMap<Long, Prompt>) pulled).firstKey());
                }
            }
        }
    }

    @Override
    public String describe() {
        return "a stream of prompts (" + count + " pulled" + (completed ? ", completed)" : ")");
    }

    @Override
    public void close() {
        queue.cancel();
    }
}
