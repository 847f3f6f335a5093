package dev.groupflow.verify;

/**
 * A service's reason for not answering, with whether calling again could help. {@link RetryingCalls} retries
 * other exceptions, and these only when {@link #retryable()}: a reply that is not the expected JSON, a breaker that
 * is open or an HTTP service that has already used its own retries gain nothing from another attempt. Verifiers
 * ({@link VerifierFailure}) and agent environments both fail this way.
 */
public class ServiceFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final boolean retryable;

    public ServiceFailure(String message, boolean retryable) {
        super(message);
        this.retryable = retryable;
    }

    public ServiceFailure(String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
    }

    public boolean retryable() {
        return retryable;
    }
}
