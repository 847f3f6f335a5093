package dev.groupflow.sampling;

/** Why a completion ended. */
public enum FinishReason {
    /** An end-of-sequence token was sampled or a stop string appeared. */
    STOP,
    /** The completion reached the maximum number of new tokens (it is truncated). */
    LENGTH
}
