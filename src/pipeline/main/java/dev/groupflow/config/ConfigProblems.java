package dev.groupflow.config;

import java.util.List;

/** Every problem of a configuration, found before any work starts; the message lists them all. */
public class ConfigProblems extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final List<String> problems;

    public ConfigProblems(List<String> problems) {
        super(format(problems));
        this.problems = List.copyOf(problems);
    }

    private static String format(List<String> problems) {
        StringBuilder sb = new StringBuilder("invalid configuration (" + problems.size() + " problem"
                + (problems.size() == 1 ? "" : "s") + "):");
        for (String p : problems) {
            sb.append("\n  - ").append(p);
        }
        return sb.toString();
    }

    public List<String> problems() {
        return problems;
    }
}
