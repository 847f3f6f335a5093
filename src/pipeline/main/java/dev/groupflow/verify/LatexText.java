package dev.groupflow.verify;

import java.util.regex.Pattern;

/**
 * Cleans a math answer written in LaTeX or plain text into the small language {@link MathParser} reads: math
 * delimiters ({@code $...$}, {@code \(...\)}, {@code \[...\]}), sizing and spacing commands ({@code \left},
 * {@code \right}, {@code \displaystyle}, {@code \,}, {@code \!}, {@code \quad}...), degree marks and a trailing
 * period are dropped; {@code \dfrac} and {@code \tfrac} become {@code \frac}; {@code \cdot}, {@code \times},
 * {@code \div} and the Unicode signs {@code − × · ÷ π √} become their ASCII or LaTeX forms; thousands separators
 * ({@code 1,000}, {@code 1{,}000}, {@code 1\,000}) are removed only when the whole answer is one such number.
 * Every step is a linear scan.
 */
final class LatexText {
    private static final Pattern DELIMITERS = Pattern.compile("\\$|\\\\[()\\[\\]]");
    private static final Pattern SPACING = Pattern.compile(
            "\\\\(?:left|right|displaystyle|textstyle|quad|qquad|big|Big|bigg|Bigg)(?![a-zA-Z])|\\\\[,!;: ]|~");
    private static final Pattern DEGREES = Pattern.compile("\\^\\s*\\{\\s*\\\\circ\\s*\\}|\\^\\s*\\\\circ(?![a-zA-Z])"
            + "|\\\\circ(?![a-zA-Z])|\\\\degree(?![a-zA-Z])|°");
    private static final Pattern FRAC = Pattern.compile("\\\\[dt]frac(?![a-zA-Z])");
    private static final Pattern TIMES = Pattern.compile("\\\\(?:cdot|times)(?![a-zA-Z])");
    private static final Pattern DIV = Pattern.compile("\\\\div(?![a-zA-Z])");
    private static final Pattern THOUSANDS = Pattern.compile("[+-]?\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?%?");

    private LatexText() {
    }

    /** The cleaned answer (may be empty). */
    static String clean(String s) {
        String t = s.replace('\u2212', '-').replace('\u00d7', '*').replace('\u00b7', '*').replace('\u00f7', '/')
                .replace("\u03c0", "\\pi ").replace("\u221a", "\\sqrt").replace('\u00a0', ' ').replace("{,}", ",");
        t = DELIMITERS.matcher(t).replaceAll(" ");
        // thin spaces between digit groups are thousands separators: "1\,000"
        t = t.replaceAll("(?<=\\d)\\\\,(?=\\d{3}(?!\\d))", ",");
        t = SPACING.matcher(t).replaceAll(" ");
        t = DEGREES.matcher(t).replaceAll(" ");
        t = FRAC.matcher(t).replaceAll("\\\\frac");
        t = TIMES.matcher(t).replaceAll("*");
        t = DIV.matcher(t).replaceAll("/");
        t = t.replace("\\%", "%").strip();
        while (t.endsWith(".") && !t.endsWith("..")) {
            t = t.substring(0, t.length() - 1).strip();
        }
        if (THOUSANDS.matcher(t).matches()) {
            t = t.replace(",", "");
        }
        return t;
    }

    /**
     * A form for comparing answers that are not numbers ({@code \text{(B)}}, {@code x^2+1}): cleaned, text
     * wrappers unwrapped, whitespace removed except a single space between two digits (so "2 3" never equals
     * "23").
     */
    static String comparable(String s) {
        String t = clean(s).replaceAll("\\\\(?:text|textbf|textrm|mathrm|mathbf|mbox)\\s*\\{([^{}]*)}", "$1");
        StringBuilder out = new StringBuilder(t.length());
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (!Character.isWhitespace(c)) {
                out.append(c);
                continue;
            }
            int j = i;
            while (j < t.length() && Character.isWhitespace(t.charAt(j))) {
                j++;
            }
            if (out.length() > 0 && Character.isDigit(out.charAt(out.length() - 1)) && j < t.length()
                    && Character.isDigit(t.charAt(j))) {
                out.append(' ');
            }
            i = j - 1;
        }
        return out.toString();
    }
}
