package dev.groupflow.data;

/**
 * A deterministic, indexable stream of prompts: prompt n is always the same for a given seed, so a run's data
 * position is just a number (plus the prompts admitted but not yet trained).
 */
public interface PromptSource {

    /** The n-th prompt of the stream (n from 0). */
    Prompt at(long n);

    /** Whether the stream ends before index n (a file with a finite number of epochs). */
    boolean exhausted(long n);

    /** Human-readable description for logs. */
    String describe();
}
