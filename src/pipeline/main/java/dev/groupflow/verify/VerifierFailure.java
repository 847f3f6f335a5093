package dev.groupflow.verify;

/**
 * A verifier's reason for not scoring, with whether calling again could help. {@link VerifierCalls} retries
 * other exceptions, and these only when {@link #retryable()}: a row without an answer, a breaker that is open or
 * an HTTP verifier that has already used its own retries gain nothing from another attempt.
 */
public class VerifierFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final boolean retryable;

    public VerifierFailure(String message, boolean retryable) {
        super(message);
        this.retryable = retryable;
    }

    public VerifierFailure(String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
    }

    /** A failure that another attempt would repeat. */
    public static VerifierFailure permanent(String message) {
        return new VerifierFailure(message, false);
    }

    public boolean retryable() {
        return retryable;
    }
}
