package dev.groupflow.metrics;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What a training run announces after each learner step (the pipeline's step reporter), for whoever watches it:
 * the step's metrics line, and every few steps one group's completion records. Listeners are called on the
 * learner's thread after the lines are written: they must be quick.
 */
public interface StepEvents {

    /** Called with every step's metrics line (the line of {@code metrics.jsonl}). */
    void addListener(Consumer<Map<String, Object>> listener);

    /** Called with the completion records of one group (the lines of {@code completions.jsonl}). */
    void addCompletionsListener(Consumer<List<Map<String, Object>>> listener);
}
