package dev.groupflow.verify;

import java.util.List;
import java.util.Map;

/**
 * Checks the tag shape of a completion: {@code <a>...</a>} then {@code <b>...</b>} and so on for the configured
 * names, each opening and closing tag exactly once in the whole text, in order, and only whitespace outside them.
 * Plain index scans: linear in the text for each tag.
 */
final class TagShape {
    private TagShape() {
    }

    static Reward check(String text, List<String> tags) {
        for (String t : tags) {
            String problem = once(text, "<" + t + ">");
            if (problem == null) {
                problem = once(text, "</" + t + ">");
            }
            if (problem != null) {
                return no(problem);
            }
        }
        int pos = skipSpace(text, 0);
        for (String t : tags) {
            String open = "<" + t + ">";
            String close = "</" + t + ">";
            if (!text.startsWith(open, pos)) {
                return no("expected " + open + " at offset " + pos);
            }
            int end = text.indexOf(close, pos + open.length());
            if (end < 0) {
                return no(close + " does not follow " + open);
            }
            pos = skipSpace(text, end + close.length());
        }
        if (pos < text.length()) {
            return no("text after </" + tags.get(tags.size() - 1) + ">");
        }
        return new Reward(1, Map.of(), "tags " + tags + " in order");
    }

    /** Null when {@code tag} occurs exactly once, else what is wrong. */
    private static String once(String text, String tag) {
        int first = text.indexOf(tag);
        if (first < 0) {
            return "no " + tag;
        }
        return text.indexOf(tag, first + 1) < 0 ? null : tag + " occurs more than once";
    }

    private static int skipSpace(String text, int pos) {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
        return pos;
    }

    private static Reward no(String why) {
        return new Reward(0, Map.of(), why);
    }
}
