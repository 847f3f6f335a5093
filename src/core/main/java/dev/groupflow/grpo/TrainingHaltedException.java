package dev.groupflow.grpo;

/** Training cannot go on (for instance: too many consecutive non-finite updates). */
public class TrainingHaltedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TrainingHaltedException(String message) {
        super(message);
    }
}
