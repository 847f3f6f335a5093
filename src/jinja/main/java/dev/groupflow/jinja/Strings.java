package dev.groupflow.jinja;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** Python {@code str} methods, indexed by code point as CPython does. */
final class Strings {
    private Strings() {}

    /** Char offset of code point index {@code cp}, clamped to the string. */
    static int offset(String s, long cp) {
        if (cp <= 0) {
            return 0;
        }
        int n = Py.strLen(s);
        if (cp >= n) {
            return s.length();
        }
        return s.offsetByCodePoints(0, (int) cp);
    }

    /** Normalizes a Python start/end argument (None, negative) to a code point index in [0, len]. */
    static long clampIndex(Object arg, long len, long dflt) {
        if (arg == null || arg instanceof Undefined) {
            return dflt;
        }
        long i = Py.toLong(arg);
        if (i < 0) {
            i += len;
        }
        return Math.max(0, Math.min(i, len));
    }

    static String upper(String s) {
        return s.toUpperCase(Locale.ROOT);
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    static String capitalize(String s) {
        if (s.isEmpty()) {
            return s;
        }
        int cp = s.codePointAt(0);
        int n = Character.charCount(cp);
        String first = titleCase(cp);
        return first + lower(s.substring(n));
    }

    private static String titleCase(int cp) {
        if (cp == 'ß') {
            return "Ss";
        }
        int t = Character.toTitleCase(cp);
        if (t != cp) {
            return new String(Character.toChars(t));
        }
        return upper(new String(Character.toChars(cp)));
    }

    /** Python's {@code str.title()}. */
    static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean prevCased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            boolean upperOrTitle = Character.isUpperCase(cp) || Character.isTitleCase(cp);
            boolean lowerCase = Character.isLowerCase(cp);
            if (upperOrTitle) {
                sb.append(prevCased ? lower(new String(Character.toChars(cp))) : new String(Character.toChars(cp)));
                prevCased = true;
            } else if (lowerCase) {
                sb.append(prevCased ? new String(Character.toChars(cp)) : titleCase(cp));
                prevCased = true;
            } else {
                sb.appendCodePoint(cp);
                prevCased = false;
            }
        }
        return sb.toString();
    }

    static String swapcase(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> sb.append(Character.isUpperCase(cp)
                ? lower(new String(Character.toChars(cp))) : Character.isLowerCase(cp)
                ? upper(new String(Character.toChars(cp))) : new String(Character.toChars(cp))));
        return sb.toString();
    }

    private static boolean inSet(int cp, String chars) {
        return chars == null ? Py.isSpace(cp) : chars.indexOf(cp) >= 0;
    }

    /** Python's strip family; {@code chars == null} strips whitespace. */
    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0;
        int end = s.length();
        if (left) {
            while (start < end) {
                int cp = s.codePointAt(start);
                if (!inSet(cp, chars)) {
                    break;
                }
                start += Character.charCount(cp);
            }
        }
        if (right) {
            while (end > start) {
                int cp = s.codePointBefore(end);
                if (!inSet(cp, chars)) {
                    break;
                }
                end -= Character.charCount(cp);
            }
        }
        return s.substring(start, end);
    }

    /** Python's {@code str.split(sep, maxsplit)}. */
    static List<Object> split(String s, String sep, long maxsplit) {
        List<Object> out = new ArrayList<>();
        if (maxsplit < 0) {
            maxsplit = Long.MAX_VALUE;
        }
        if (sep == null) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && Py.isSpace(s.charAt(i))) {
                    i++;
                }
                if (i >= n) {
                    break;
                }
                if (out.size() >= maxsplit) {
                    out.add(s.substring(i));
                    break;
                }
                int j = i;
                while (j < n && !Py.isSpace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        checkSep(sep);
        int i = 0;
        while (out.size() < maxsplit) {
            int j = s.indexOf(sep, i);
            if (j < 0) {
                break;
            }
            out.add(s.substring(i, j));
            i = j + sep.length();
        }
        out.add(s.substring(i));
        return out;
    }

    private static void checkSep(String sep) {
        if (sep.isEmpty()) {
            throw new TemplateException("ValueError: empty separator");
        }
    }

    /** Python's {@code str.rsplit(sep, maxsplit)}. */
    static List<Object> rsplit(String s, String sep, long maxsplit) {
        List<Object> out = new ArrayList<>();
        if (maxsplit < 0) {
            maxsplit = Long.MAX_VALUE;
        }
        if (sep == null) {
            int j = s.length();
            while (true) {
                while (j > 0 && Py.isSpace(s.charAt(j - 1))) {
                    j--;
                }
                if (j <= 0) {
                    break;
                }
                if (out.size() >= maxsplit) {
                    out.add(s.substring(0, j));
                    break;
                }
                int i = j;
                while (i > 0 && !Py.isSpace(s.charAt(i - 1))) {
                    i--;
                }
                out.add(s.substring(i, j));
                j = i;
            }
        } else {
            checkSep(sep);
            int j = s.length();
            while (out.size() < maxsplit) {
                int i = s.lastIndexOf(sep, j - sep.length());
                if (i < 0) {
                    break;
                }
                out.add(s.substring(i + sep.length(), j));
                j = i;
            }
            out.add(s.substring(0, j));
        }
        Collections.reverse(out);
        return out;
    }

    private static boolean isLineBreak(char c) {
        return c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || c == 0x1c || c == 0x1d || c == 0x1e
                || c == 0x85 || c == 0x2028 || c == 0x2029;
    }

    /** Python's {@code str.splitlines(keepends)}. */
    static List<Object> splitlines(String s, boolean keepends) {
        List<Object> out = new ArrayList<>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            int j = i;
            while (j < n && !isLineBreak(s.charAt(j))) {
                j++;
            }
            int eol = j;
            if (j < n) {
                j += (s.charAt(j) == '\r' && j + 1 < n && s.charAt(j + 1) == '\n') ? 2 : 1;
            }
            out.add(s.substring(i, keepends ? j : eol));
            i = j;
        }
        return out;
    }

    /** Python's {@code str.center(width, fill)}. */
    static String center(String s, long width, String fill) {
        long len = Py.strLen(s);
        if (width <= len) {
            return s;
        }
        long marg = width - len;
        long left = marg / 2 + (marg & width & 1);
        Interpreter.checkSize(width, null);
        return fill.repeat((int) left) + s + fill.repeat((int) (marg - left));
    }

    static String ljust(String s, long width, String fill) {
        long len = Py.strLen(s);
        Interpreter.checkSize(width, null);
        return width <= len ? s : s + fill.repeat((int) (width - len));
    }

    static String rjust(String s, long width, String fill) {
        long len = Py.strLen(s);
        Interpreter.checkSize(width, null);
        return width <= len ? s : fill.repeat((int) (width - len)) + s;
    }

    static String zfill(String s, long width) {
        long len = Py.strLen(s);
        if (width <= len) {
            return s;
        }
        Interpreter.checkSize(width, null);
        String zeros = "0".repeat((int) (width - len));
        if (!s.isEmpty() && (s.charAt(0) == '+' || s.charAt(0) == '-')) {
            return s.charAt(0) + zeros + s.substring(1);
        }
        return zeros + s;
    }

    /** Pads a formatted field to {@code width}; zero padding goes after any sign. */
    static String pad(String body, int width, boolean left, boolean zero) {
        int len = Py.strLen(body);
        if (width <= len) {
            return body;
        }
        String fill;
        if (left) {
            return body + " ".repeat(width - len);
        }
        if (zero) {
            fill = "0".repeat(width - len);
            if (!body.isEmpty() && "+- ".indexOf(body.charAt(0)) >= 0) {
                return body.charAt(0) + fill + body.substring(1);
            }
            return fill + body;
        }
        return " ".repeat(width - len) + body;
    }

    /** Python's float formatting for the f/e/g conversions with an explicit precision. */
    static String formatFloat(double d, char conv, int precision, boolean alternate) {
        boolean upper = Character.isUpperCase(conv);
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            String r = Double.isNaN(d) ? "nan" : d > 0 ? "inf" : "-inf";
            return upper ? r.toUpperCase(Locale.ROOT) : r;
        }
        String sign = (d < 0 || (d == 0 && 1 / d < 0)) ? "-" : "";
        BigDecimal v = new BigDecimal(Math.abs(d));
        String body;
        switch (Character.toLowerCase(conv)) {
            case 'f' -> body = v.setScale(precision, RoundingMode.HALF_EVEN).toPlainString()
                    + (alternate && precision == 0 ? "." : "");
            case 'e' -> body = sci(v, precision, alternate);
            default -> {
                int p = precision == 0 ? 1 : precision;
                int exp = v.signum() == 0 ? 0 : decimalExponent(v.round(new MathContext(p, RoundingMode.HALF_EVEN)));
                if (exp >= -4 && exp < p) {
                    body = v.setScale(p - 1 - exp, RoundingMode.HALF_EVEN).toPlainString();
                    if (!alternate && body.indexOf('.') >= 0) {
                        body = body.replaceAll("0+$", "").replaceAll("\\.$", "");
                    }
                } else {
                    body = sci(v, p - 1, alternate);
                    if (!alternate) {
                        body = body.replaceAll("\\.?0+e", "e");
                    }
                }
            }
        }
        return sign + (upper ? body.toUpperCase(Locale.ROOT) : body);
    }

    private static int decimalExponent(BigDecimal v) {
        return v.precision() - v.scale() - 1;
    }

    private static String sci(BigDecimal v, int precision, boolean alternate) {
        int exp = 0;
        String digits;
        if (v.signum() == 0) {
            digits = "0".repeat(precision + 1);
        } else {
            BigDecimal r = v.round(new MathContext(precision + 1, RoundingMode.HALF_EVEN));
            exp = decimalExponent(r);
            digits = r.unscaledValue().toString();
            if (digits.length() < precision + 1) {
                digits = digits + "0".repeat(precision + 1 - digits.length());
            }
            digits = digits.substring(0, precision + 1);
        }
        StringBuilder sb = new StringBuilder().append(digits.charAt(0));
        if (precision > 0 || alternate) {
            sb.append('.').append(digits, 1, digits.length());
        }
        sb.append(exp < 0 ? "e-" : "e+");
        int a = Math.abs(exp);
        if (a < 10) {
            sb.append('0');
        }
        return sb.append(a).toString();
    }
}
