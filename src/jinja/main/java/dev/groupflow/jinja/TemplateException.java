package dev.groupflow.jinja;

/**
 * Any failure while compiling or rendering a template: a syntax error, a runtime type error, an
 * undefined value used where Jinja2 would raise {@code UndefinedError}, a sandbox violation, or a
 * resource limit. {@link #line()} is the 1-based template line the error was detected on (0 when
 * unknown); {@link #detail()} is the message without location.
 */
public class TemplateException extends RuntimeException {
    private final String detail;
    private int line;
    private int column;

    /** An error with no known location yet; the engine fills in the line as it unwinds. */
    public TemplateException(String detail) {
        this(detail, 0, 0, null);
    }

    /** An error at a known line and column (column 0 when unknown). */
    public TemplateException(String detail, int line, int column, Throwable cause) {
        super(detail, cause);
        this.detail = detail;
        this.line = line;
        this.column = column;
    }

    /** The message without the location suffix. */
    public String detail() {
        return detail;
    }

    /** 1-based line of the template where the error happened, or 0 if unknown. */
    public int line() {
        return line;
    }

    /** 1-based column of the template where the error happened, or 0 if unknown. */
    public int column() {
        return column;
    }

    /** Records the location if none was known yet; used while the error unwinds through nodes. */
    TemplateException atLine(int newLine) {
        if (this.line == 0 && newLine > 0) {
            this.line = newLine;
        }
        return this;
    }

    @Override
    public String getMessage() {
        if (line <= 0) {
            return detail;
        }
        return detail + " (template line " + line + (column > 0 ? ", column " + column : "") + ")";
    }
}
