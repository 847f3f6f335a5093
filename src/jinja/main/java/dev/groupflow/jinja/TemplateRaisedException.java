package dev.groupflow.jinja;

/**
 * Thrown when a template calls {@code raise_exception(message)}, as Hugging Face chat templates do
 * to reject malformed conversations (for example roles that do not alternate). {@link
 * #getMessage()} is exactly the template author's message, as Hugging Face reports it.
 */
public final class TemplateRaisedException extends TemplateException {
    /** The exception raised by the template with the given message. */
    public TemplateRaisedException(String message) {
        super(message);
    }

    @Override
    public String getMessage() {
        return detail();
    }
}
