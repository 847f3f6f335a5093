package dev.groupflow.jinja;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Python value semantics over the template value model: {@code String}, {@code Long}, {@code
 * Double}, {@code Boolean}, {@code null} (None), {@code List}, {@code Map}, plus the engine's own
 * {@link PyTuple}, {@link PyRange}, {@link PyIter}, {@link DictView}, {@link Markup}, {@link
 * Namespace}, {@link Undefined} and {@link PyCallable}. Truthiness, {@code str()}/{@code repr()},
 * equality, ordering and iteration all follow CPython.
 */
final class Py {
    private Py() {}

    static TemplateException typeError(String msg) {
        return new TemplateException("TypeError: " + msg);
    }

    // ---------------------------------------------------------------- classification

    static boolean isInt(Object o) {
        return o instanceof Long || o instanceof Boolean;
    }

    static boolean isNumber(Object o) {
        return o instanceof Long || o instanceof Double || o instanceof Boolean;
    }

    static boolean isString(Object o) {
        return o instanceof String || o instanceof Markup;
    }

    static long toLong(Object o) {
        if (o instanceof Long l) {
            return l;
        }
        if (o instanceof Boolean b) {
            return b ? 1 : 0;
        }
        throw typeError("'" + typeName(o) + "' object cannot be interpreted as an integer");
    }

    static double toDouble(Object o) {
        if (o instanceof Double d) {
            return d;
        }
        return toLong(o);
    }

    /** Python's {@code type(x).__name__}. */
    static String typeName(Object o) {
        if (o == null) {
            return "NoneType";
        }
        if (o instanceof String) {
            return "str";
        }
        if (o instanceof Boolean) {
            return "bool";
        }
        if (o instanceof Long) {
            return "int";
        }
        if (o instanceof Double) {
            return "float";
        }
        if (o instanceof PyTuple) {
            return "tuple";
        }
        if (o instanceof PyRange) {
            return "range";
        }
        if (o instanceof List) {
            return "list";
        }
        if (o instanceof Map) {
            return "dict";
        }
        if (o instanceof PyIter it) {
            return it.kind;
        }
        if (o instanceof DictView v) {
            return "dict_" + v.kind();
        }
        if (o instanceof Markup) {
            return "Markup";
        }
        if (o instanceof Namespace) {
            return "Namespace";
        }
        if (o instanceof Undefined) {
            return "Undefined";
        }
        if (o instanceof LoopContext) {
            return "LoopContext";
        }
        if (o instanceof Interpreter.Macro) {
            return "Macro";
        }
        if (o instanceof PyCallable) {
            return "builtin_function_or_method";
        }
        return o.getClass().getSimpleName();
    }

    /** Jinja2's {@code object_type_repr}, used in undefined-value messages. */
    static String objectTypeRepr(Object o) {
        if (o == null) {
            return "None";
        }
        if (o instanceof Namespace) {
            return "jinja2.utils.Namespace object";
        }
        if (o instanceof LoopContext) {
            return "jinja2.runtime.LoopContext object";
        }
        if (o instanceof Markup) {
            return "markupsafe.Markup object";
        }
        return typeName(o) + " object";
    }

    // ---------------------------------------------------------------- truthiness

    static boolean truthy(Object o) {
        if (o == null || o instanceof Undefined) {
            return false;
        }
        if (o instanceof Boolean b) {
            return b;
        }
        if (o instanceof Long l) {
            return l != 0;
        }
        if (o instanceof Double d) {
            return d != 0.0;
        }
        if (o instanceof String s) {
            return !s.isEmpty();
        }
        if (o instanceof Markup m) {
            return !m.text().isEmpty();
        }
        if (o instanceof List<?> l) {
            return !l.isEmpty();
        }
        if (o instanceof Map<?, ?> m) {
            return !m.isEmpty();
        }
        if (o instanceof DictView v) {
            return !v.map().isEmpty();
        }
        return true;
    }

    // ---------------------------------------------------------------- str / repr

    /** Python's {@code str(x)}; Undefined prints as the empty string. */
    static String str(Object o) {
        if (o instanceof String s) {
            return s;
        }
        if (o instanceof Undefined) {
            return "";
        }
        if (o instanceof Markup m) {
            return m.text();
        }
        return repr(o);
    }

    /** Python's {@code repr(x)}. */
    static String repr(Object o) {
        StringBuilder sb = new StringBuilder();
        appendRepr(sb, o, 0);
        return sb.toString();
    }

    private static void appendRepr(StringBuilder sb, Object o, int depth) {
        if (depth > Interpreter.MAX_NESTING) {
            throw new TemplateException("RecursionError: value nested too deeply to print");
        }
        if (o == null) {
            sb.append("None");
        } else if (o instanceof Boolean b) {
            sb.append(b ? "True" : "False");
        } else if (o instanceof Long l) {
            sb.append(l.longValue());
        } else if (o instanceof Double d) {
            sb.append(floatRepr(d));
        } else if (o instanceof String s) {
            appendStringRepr(sb, s);
        } else if (o instanceof Markup m) {
            sb.append("Markup(");
            appendStringRepr(sb, m.text());
            sb.append(')');
        } else if (o instanceof PyTuple t) {
            sb.append('(');
            appendItems(sb, t, depth);
            sb.append(t.size() == 1 ? ",)" : ")");
        } else if (o instanceof PyRange r) {
            sb.append(r);
        } else if (o instanceof List<?> l) {
            sb.append('[');
            appendItems(sb, l, depth);
            sb.append(']');
        } else if (o instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    sb.append(", ");
                }
                first = false;
                appendRepr(sb, e.getKey(), depth + 1);
                sb.append(": ");
                appendRepr(sb, e.getValue(), depth + 1);
            }
            sb.append('}');
        } else if (o instanceof DictView v) {
            sb.append("dict_").append(v.kind()).append("([");
            List<Object> items = new ArrayList<>();
            v.forEach(items::add);
            appendItems(sb, items, depth);
            sb.append("])");
        } else if (o instanceof Undefined) {
            sb.append("Undefined");
        } else if (o instanceof PyCallable c) {
            sb.append(c.describe());
        } else {
            sb.append(o);
        }
    }

    private static void appendItems(StringBuilder sb, List<?> items, int depth) {
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            appendRepr(sb, items.get(i), depth + 1);
        }
    }

    private static void appendStringRepr(StringBuilder sb, String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        sb.append(quote);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == quote || cp == '\\') {
                sb.append('\\').appendCodePoint(cp);
            } else if (cp == '\t') {
                sb.append("\\t");
            } else if (cp == '\n') {
                sb.append("\\n");
            } else if (cp == '\r') {
                sb.append("\\r");
            } else if (!isPrintable(cp)) {
                if (cp <= 0xff) {
                    sb.append(String.format("\\x%02x", cp));
                } else if (cp <= 0xffff) {
                    sb.append(String.format("\\u%04x", cp));
                } else {
                    sb.append(String.format("\\U%08x", cp));
                }
            } else {
                sb.appendCodePoint(cp);
            }
        }
        sb.append(quote);
    }

    /** Python's {@code str.isprintable()} for one code point. */
    static boolean isPrintable(int cp) {
        if (cp == ' ') {
            return true;
        }
        int type = Character.getType(cp);
        return type != Character.CONTROL && type != Character.FORMAT && type != Character.SURROGATE
                && type != Character.PRIVATE_USE && type != Character.UNASSIGNED
                && type != Character.LINE_SEPARATOR && type != Character.PARAGRAPH_SEPARATOR
                && type != Character.SPACE_SEPARATOR;
    }

    /** Python's {@code str.isspace()} for one character (also what {@code \s} matches in re). */
    static boolean isSpace(int c) {
        return switch (c) {
            case ' ', '\t', '\n', '\u000b', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f, 0x85, 0xa0, 0x1680,
                    0x2028, 0x2029, 0x202f, 0x205f, 0x3000 -> true;
            default -> c >= 0x2000 && c <= 0x200a;
        };
    }

    static String rstripWhitespace(String s) {
        int end = s.length();
        while (end > 0 && isSpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end);
    }

    /** Python's {@code repr(float)}: the shortest digits that round-trip, in Python's layout. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0.0) {
            return (1.0 / d < 0) ? "-0.0" : "0.0";
        }
        BigDecimal exact = new BigDecimal(d);
        BigDecimal shortest = exact;
        for (int p = 1; p <= 17; p++) {
            BigDecimal candidate = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
            if (candidate.doubleValue() == d) {
                shortest = candidate;
                break;
            }
        }
        shortest = shortest.stripTrailingZeros();
        String digits = shortest.unscaledValue().abs().toString();
        int decpt = digits.length() - shortest.scale();
        StringBuilder sb = new StringBuilder();
        if (d < 0) {
            sb.append('-');
        }
        if (decpt > 16 || decpt < -3) {
            sb.append(digits.charAt(0));
            if (digits.length() > 1) {
                sb.append('.').append(digits, 1, digits.length());
            }
            int exp = decpt - 1;
            sb.append(exp < 0 ? "e-" : "e+");
            int a = Math.abs(exp);
            if (a < 10) {
                sb.append('0');
            }
            sb.append(a);
        } else if (decpt <= 0) {
            sb.append("0.").append("0".repeat(-decpt)).append(digits);
        } else if (decpt >= digits.length()) {
            sb.append(digits).append("0".repeat(decpt - digits.length())).append(".0");
        } else {
            sb.append(digits, 0, decpt).append('.').append(digits, decpt, digits.length());
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- equality and ordering

    /** Python's {@code a == b}. */
    static boolean eq(Object a, Object b) {
        if (a == b) {
            return true;
        }
        if (a == null || b == null) {
            return false;
        }
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) {
                return toDouble(a) == toDouble(b);
            }
            return toLong(a) == toLong(b);
        }
        if (isString(a) && isString(b)) {
            return str(a).equals(str(b));
        }
        if (a instanceof Undefined || b instanceof Undefined) {
            return a instanceof Undefined && b instanceof Undefined;
        }
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            if ((a instanceof PyTuple) != (b instanceof PyTuple)
                    || (a instanceof PyRange) != (b instanceof PyRange)) {
                return false;
            }
            if (a instanceof PyRange) {
                return a.equals(b);
            }
            if (la.size() != lb.size()) {
                return false;
            }
            for (int i = 0; i < la.size(); i++) {
                if (!eq(la.get(i), lb.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            if (ma.size() != mb.size()) {
                return false;
            }
            for (Map.Entry<?, ?> e : ma.entrySet()) {
                Object key = findKey(mb, e.getKey());
                if (key == NO_KEY || !eq(e.getValue(), mb.get(key))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    static final Object NO_KEY = new Object();

    /** The key of {@code map} that Python would consider equal to {@code key}, or {@link #NO_KEY}. */
    static Object findKey(Map<?, ?> map, Object key) {
        if (map.containsKey(key)) {
            return key;
        }
        if (key instanceof Markup m && map.containsKey(m.text())) {
            return m.text();
        }
        if (isNumber(key) || key instanceof PyTuple) {
            for (Object k : map.keySet()) {
                if (eq(k, key)) {
                    return k;
                }
            }
        }
        return NO_KEY;
    }

    /** Python's ordering for {@code <}; throws TypeError for unorderable operands. */
    static int compare(Object a, Object b, String op) {
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) {
                return Double.compare(toDouble(a), toDouble(b)) == 0 ? 0 : toDouble(a) < toDouble(b) ? -1 : 1;
            }
            return Long.compare(toLong(a), toLong(b));
        }
        if (isString(a) && isString(b)) {
            return compareStrings(str(a), str(b));
        }
        if (a instanceof List<?> la && b instanceof List<?> lb
                && (a instanceof PyTuple) == (b instanceof PyTuple) && !(a instanceof PyRange)
                && !(b instanceof PyRange)) {
            int n = Math.min(la.size(), lb.size());
            for (int i = 0; i < n; i++) {
                if (!eq(la.get(i), lb.get(i))) {
                    return compare(la.get(i), lb.get(i), op);
                }
            }
            return Integer.compare(la.size(), lb.size());
        }
        if (a instanceof Undefined u) {
            throw u.error();
        }
        if (b instanceof Undefined u) {
            throw u.error();
        }
        throw typeError("'" + op + "' not supported between instances of '" + typeName(a) + "' and '"
                + typeName(b) + "'");
    }

    /** Compares by code point, as Python does (Java's compareTo compares UTF-16 units). */
    static int compareStrings(String a, String b) {
        return CodePoints.compare(a, b);
    }

    // ---------------------------------------------------------------- iteration and size

    /** Python's {@code iter(x)}. */
    static Iterator<Object> iterate(Object o) {
        if (o instanceof String s) {
            return codePoints(s).iterator();
        }
        if (o instanceof Markup m) {
            return codePoints(m.text()).iterator();
        }
        if (o instanceof List<?> l) {
            @SuppressWarnings("unchecked")
            Iterator<Object> it = (Iterator<Object>) l.iterator();
            return it;
        }
        if (o instanceof Map<?, ?> m) {
            @SuppressWarnings("unchecked")
            Iterator<Object> it = (Iterator<Object>) m.keySet().iterator();
            return it;
        }
        if (o instanceof PyIter it) {
            return it;
        }
        if (o instanceof DictView v) {
            return v.iterator();
        }
        if (o instanceof Undefined) {
            return Collections.emptyIterator();
        }
        throw typeError("'" + typeName(o) + "' object is not iterable");
    }

    /** Materializes any iterable as a fresh list. */
    static List<Object> toList(Object o) {
        List<Object> out = new ArrayList<>();
        iterate(o).forEachRemaining(out::add);
        return out;
    }

    /** The code points of a string, each as a one-code-point string. */
    static List<Object> codePoints(String s) {
        List<Object> out = new ArrayList<>(s.length());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int n = Character.charCount(cp);
            out.add(s.substring(i, i + n));
            i += n;
        }
        return out;
    }

    /** Python's {@code len(s)} for a string: the number of code points. */
    static int strLen(String s) {
        return s.codePointCount(0, s.length());
    }

    /** Python's {@code len(x)}. */
    static long len(Object o) {
        if (o instanceof String s) {
            return strLen(s);
        }
        if (o instanceof Markup m) {
            return strLen(m.text());
        }
        if (o instanceof List<?> l) {
            return l.size();
        }
        if (o instanceof Map<?, ?> m) {
            return m.size();
        }
        if (o instanceof DictView v) {
            return v.map().size();
        }
        if (o instanceof Undefined) {
            return 0;
        }
        if (o instanceof Namespace) {
            throw typeError("object of type 'Namespace' has no len()");
        }
        throw typeError("object of type '" + typeName(o) + "' has no len()");
    }

    /** Python's {@code item in container}. */
    static boolean contains(Object container, Object item) {
        if (isString(container)) {
            if (!isString(item)) {
                throw typeError("'in <string>' requires string as left operand, not " + typeName(item));
            }
            return str(container).contains(str(item));
        }
        if (container instanceof Map<?, ?> m) {
            return findKey(m, item) != NO_KEY;
        }
        if (container instanceof DictView v && v.kind().equals("keys")) {
            return findKey(v.map(), item) != NO_KEY;
        }
        if (container instanceof Undefined u) {
            return false;
        }
        Iterator<Object> it;
        try {
            it = iterate(container);
        } catch (TemplateException e) {
            throw typeError("argument of type '" + typeName(container) + "' is not iterable");
        }
        while (it.hasNext()) {
            if (eq(it.next(), item)) {
                return true;
            }
        }
        return false;
    }
}
