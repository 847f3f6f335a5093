package dev.groupflow.jinja;

/** A template could not be compiled: bad syntax, unknown tag, unknown filter or test. */
public final class TemplateSyntaxException extends TemplateException {
    /** A syntax error at a 1-based line and column (column 0 when unknown). */
    public TemplateSyntaxException(String detail, int line, int column) {
        super(detail, line, column, null);
    }
}
