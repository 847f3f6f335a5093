package dev.groupflow.pipeline;

import dev.groupflow.metrics.RunControl;
import java.util.function.BooleanSupplier;

/**
 * {@link RunControl} of a {@link LockstepTrainer}: requests are flags the trainer checks between steps. A pause
 * holds the trainer before its next batch (the step in progress finishes); a checkpoint request is written after
 * the step in progress, or at once while paused.
 */
public final class LockstepControl implements RunControl {
    private final BooleanSupplier externalStop;
    private volatile boolean stop;
    private volatile boolean paused;
    private volatile boolean checkpoint;

    public LockstepControl() {
        this(() -> false);
    }

    /** @param externalStop also stops the run when it turns true (polled) */
    public LockstepControl(BooleanSupplier externalStop) {
        this.externalStop = externalStop;
    }

    @Override
    public synchronized void pause() {
        paused = true;
    }

    @Override
    public synchronized void resume() {
        paused = false;
        notifyAll();
    }

    @Override
    public synchronized boolean checkpointNow() {
        boolean fresh = !checkpoint;
        checkpoint = true;
        notifyAll();
        return fresh;
    }

    @Override
    public synchronized void stopGracefully() {
        stop = true;
        notifyAll();
    }

    @Override
    public boolean paused() {
        return paused;
    }

    boolean stopRequested() {
        return stop || externalStop.getAsBoolean();
    }

    /** Returns a checkpoint request (clearing it). */
    boolean takeCheckpointRequest() {
        boolean c = checkpoint;
        checkpoint = false;
        return c;
    }

    /** Waits while paused, until resumed, asked to stop, or asked for a checkpoint. */
    synchronized void awaitUnpaused() throws InterruptedException {
        while (paused && !stopRequested() && !checkpoint) {
            wait(200); // also polls the external stop
        }
    }
}
