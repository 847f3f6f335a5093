package dev.groupflow.metrics;

/** What an operator (a dashboard button, a signal, an embedding application) can ask of a running training. */
public interface RunControl {

    /** Stop admitting prompts and training after the current step; sampling idles. */
    void pause();

    /** Continue after {@link #pause}. */
    void resume();

    /**
     * Write a checkpoint after the current step (at once while paused). A request made while another is pending
     * (asked for and not yet written) is merged into it: many requests in a row write one checkpoint.
     *
     * @return true when this request was registered, false when it was merged into the pending one
     */
    boolean checkpointNow();

    /** Finish the current step, checkpoint, stop. */
    void stopGracefully();

    /** Whether the run is paused (as last requested). */
    boolean paused();
}
