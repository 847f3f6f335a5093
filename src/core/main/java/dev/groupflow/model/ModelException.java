package dev.groupflow.model;

import java.nio.file.Path;
import java.util.List;

/**
 * A model directory, config or weight file that groupflow cannot use. The message says what was wrong and
 * where (file, field or tensor); {@link #problems()} lists every problem found when several were collected at
 * once (a config is checked completely before it is rejected).
 */
public class ModelException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Path file;
    private final List<String> problems;

    public ModelException(Path file, String message) {
        this(file, List.of(message), null);
    }

    public ModelException(Path file, String message, Throwable cause) {
        this(file, List.of(message), cause);
    }

    public ModelException(Path file, List<String> problems, Throwable cause) {
        super(format(file, problems), cause);
        this.file = file;
        this.problems = List.copyOf(problems);
    }

    private static String format(Path file, List<String> problems) {
        String where = file == null ? "" : file + ": ";
        if (problems.size() == 1) {
            return where + problems.get(0);
        }
        StringBuilder sb = new StringBuilder(where).append(problems.size()).append(" problems:");
        for (String p : problems) {
            sb.append("\n  - ").append(p);
        }
        return sb.toString();
    }

    /** The file the problem is in, or null when it is not about one file. */
    public Path file() {
        return file;
    }

    /** Every problem found, one line each. */
    public List<String> problems() {
        return problems;
    }
}
