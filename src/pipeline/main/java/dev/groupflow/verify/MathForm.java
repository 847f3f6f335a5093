package dev.groupflow.verify;

import java.util.ArrayList;
import java.util.List;

/**
 * An answer read for comparison: one part, or a tuple or interval of parts ({@code (1, 2)}, {@code [0, 1)}) split
 * at its top-level commas. Each part is a number when {@link MathParser} reads it, else its text
 * ({@link LatexText#comparable}). Two forms are equal when their brackets match, they have as many parts, and
 * each pair is equal: numerically when both are numbers, else as text.
 *
 * @param open the opening bracket of a tuple, or 0
 * @param close the closing bracket of a tuple, or 0
 * @param parts the parts, in order
 */
record MathForm(char open, char close, List<Part> parts) {

    /**
     * @param value the number, or null when the part is not one
     * @param unit the number's unit ("" when it has none)
     * @param text the part's comparable text
     */
    record Part(MathValue value, String unit, String text) {
        /** Numbers are equal when their values are and their units, if both have one, are the same. */
        boolean equalTo(Part o, double tolerance) {
            if (value != null && o.value != null) {
                boolean units = unit.isEmpty() || o.unit.isEmpty() || unit.equals(o.unit);
                return units && value.equalTo(o.value, tolerance);
            }
            return text.equals(o.text);
        }

        @Override
        public String toString() {
            return value == null ? "\"" + text + "\"" : unit.isEmpty() ? value.toString() : value + " " + unit;
        }
    }

    /** Reads an answer; throws {@link MathBudget.Exceeded} when it needs more work than the budget allows. */
    static MathForm read(String answer, MathBudget budget, boolean percentIsFraction) {
        String cleaned = LatexText.clean(answer);
        char open = 0;
        char close = 0;
        String inner = cleaned;
        if (cleaned.length() >= 2 && "([".indexOf(cleaned.charAt(0)) >= 0
                && ")]".indexOf(cleaned.charAt(cleaned.length() - 1)) >= 0
                && closesAtEnd(cleaned)) {
            open = cleaned.charAt(0);
            close = cleaned.charAt(cleaned.length() - 1);
            inner = cleaned.substring(1, cleaned.length() - 1);
        }
        List<String> pieces = splitTopLevel(inner);
        if (pieces.size() < 2) {
            return new MathForm((char) 0, (char) 0, List.of(part(cleaned, budget, percentIsFraction)));
        }
        List<Part> parts = new ArrayList<>();
        for (String piece : pieces) {
            parts.add(part(piece, budget, percentIsFraction));
        }
        return new MathForm(open, close, parts);
    }

    private static Part part(String text, MathBudget budget, boolean percentIsFraction) {
        try {
            MathParser.Reading r = MathParser.parse(LatexText.clean(text), budget, percentIsFraction);
            return new Part(r.value(), r.unit(), LatexText.comparable(text));
        } catch (MathParser.NotANumber | ArithmeticException e) {
            return new Part(null, "", LatexText.comparable(text));
        }
    }

    /** Whether the bracket opening the text is closed by its last character (depth never reaches 0 before). */
    private static boolean closesAtEnd(String s) {
        int depth = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
                if (depth == 0 && i < s.length() - 1) {
                    return false;
                }
            }
        }
        return depth == 0;
    }

    private static List<String> splitTopLevel(String s) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (c == ',' && depth == 0) {
                out.add(s.substring(start, i));
                start = i + 1;
            }
        }
        out.add(s.substring(start));
        return out;
    }

    boolean equalTo(MathForm o, double tolerance) {
        if (open != o.open || close != o.close || parts.size() != o.parts.size()) {
            return false;
        }
        for (int i = 0; i < parts.size(); i++) {
            if (!parts.get(i).equalTo(o.parts.get(i), tolerance)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        if (parts.size() == 1 && open == 0) {
            return parts.get(0).toString();
        }
        StringBuilder sb = new StringBuilder();
        if (open != 0) {
            sb.append(open);
        }
        for (int i = 0; i < parts.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(parts.get(i));
        }
        return close != 0 ? sb.append(close).toString() : sb.toString();
    }
}
