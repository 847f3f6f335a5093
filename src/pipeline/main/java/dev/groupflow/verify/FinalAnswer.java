package dev.groupflow.verify;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the final answer in a completion: the content of the last closed {@code \boxed{...}} or
 * {@code \fbox{...}} (braces nested to any depth; "last" is the one that closes last, so the outer box of nested
 * ones), else, when allowed, the last number in the text ({@code -3}, {@code 1,000}, {@code 2.5}, {@code 3/4},
 * with a percent sign if one follows). One pass over the text, no recursion.
 */
final class FinalAnswer {
    private static final Pattern NUMBER = Pattern.compile(
            "[-\u2212]?(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?(?:/\\d+)?(?:\\s*\\\\?%)?");

    /**
     * @param text the answer's text (null when none was found)
     * @param source "boxed", "last number" or "none"
     */
    record Found(String text, String source) {
    }

    private FinalAnswer() {
    }

    static Found find(String completion, boolean lastNumberFallback) {
        String boxed = lastBoxed(completion);
        if (boxed != null) {
            return new Found(boxed, "boxed");
        }
        if (lastNumberFallback) {
            String last = null;
            Matcher m = NUMBER.matcher(completion);
            while (m.find()) {
                last = m.group();
            }
            if (last != null) {
                return new Found(last, "last number");
            }
        }
        return new Found(null, "none");
    }

    /** The content of the box that closes last, or null when no box is closed. */
    static String lastBoxed(String t) {
        Deque<Integer> opens = new ArrayDeque<>(); // content start of a box's brace, or -1 for a plain brace
        int bestStart = -1;
        int bestEnd = -1;
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c == '\\') {
                int boxBrace = boxBrace(t, i);
                if (boxBrace > 0) {
                    opens.push(boxBrace + 1);
                    i = boxBrace;
                } else if (i + 1 < t.length()) {
                    i++; // an escaped character (\{ or \}) is not a group brace
                }
            } else if (c == '{') {
                opens.push(-1);
            } else if (c == '}' && !opens.isEmpty()) {
                int start = opens.pop();
                if (start >= 0) {
                    bestStart = start;
                    bestEnd = i;
                }
            }
        }
        return bestStart < 0 ? null : t.substring(bestStart, bestEnd);
    }

    /** When {@code \boxed} or {@code \fbox} (then optional spaces and a brace) starts at i: the brace's index. */
    private static int boxBrace(String t, int i) {
        int end;
        if (t.startsWith("\\boxed", i)) {
            end = i + 6;
        } else if (t.startsWith("\\fbox", i)) {
            end = i + 5;
        } else {
            return -1;
        }
        while (end < t.length() && t.charAt(end) == ' ') {
            end++;
        }
        return end < t.length() && t.charAt(end) == '{' ? end : -1;
    }
}
