package dev.groupflow.verify.code;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Finds the program in a completion. */
public final class Programs {
    private static final Pattern OPEN = Pattern.compile("^\\s{0,3}(`{3,}|~{3,})\\s*([\\w+.-]*)[^`]*$");
    private static final Set<String> PYTHON = Set.of("", "python", "py", "python3", "py3");

    private Programs() {
    }

    /**
     * The last non-blank fenced code block marked python (or unmarked), ``` or ~~~ fences; a block left open at the end (a
     * truncated completion) counts. Without one, the whole text.
     */
    public static String extract(String completion) {
        String[] lines = completion.split("\r?\n", -1);
        List<String> blocks = new ArrayList<>();
        StringBuilder current = null;
        String fence = null;
        boolean python = false;
        List<Boolean> isPython = new ArrayList<>();
        for (String line : lines) {
            if (current == null) {
                Matcher m = OPEN.matcher(line);
                if (m.matches()) {
                    fence = m.group(1);
                    python = PYTHON.contains(m.group(2).toLowerCase(Locale.ROOT));
                    current = new StringBuilder();
                }
            } else if (closes(line, fence)) {
                blocks.add(current.toString());
                isPython.add(python);
                current = null;
            } else {
                current.append(line).append('\n');
            }
        }
        if (current != null) {
            blocks.add(current.toString());
            isPython.add(python);
        }
        for (int i = blocks.size() - 1; i >= 0; i--) {
            if (isPython.get(i) && !blocks.get(i).isBlank()) {
                return blocks.get(i);
            }
        }
        return completion;
    }

    /** A closing fence: only the opening fence's character, at least as many times. */
    private static boolean closes(String line, String fence) {
        String t = line.strip();
        return t.length() >= fence.length() && t.chars().allMatch(ch -> ch == fence.charAt(0));
    }
}
