package dev.groupflow.jinja;

import java.util.Comparator;

/** String order by Unicode code point, as Python compares strings (Java's compareTo compares UTF-16 units). */
public final class CodePoints {
    /** The order itself. */
    public static final Comparator<String> ORDER = CodePoints::compare;

    private CodePoints() {
    }

    public static int compare(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }
}
