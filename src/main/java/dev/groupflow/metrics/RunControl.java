package dev.groupflow.metrics;

/** What an operator (a dashboard button, a signal, an embedding application) can ask of a running training. */
public interface RunControl {

    /** Stop admitting prompts and training after the current step; sampling idles. */
    void pause();

    /** Continue after {@link #pause}. */
    void resume();

    /** Write a checkpoint after the current step. */
    void checkpointNow();

    /** Finish the current step, checkpoint, stop. */
    void stopGracefully();

    /** Whether the run is paused (as last requested). */
    boolean paused();
}
