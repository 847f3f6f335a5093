package dev.groupflow.jinja;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The filter registry and Jinja2's scalar and string filters, with Jinja2's signatures and results,
 * plus Hugging Face's {@code tojson} override; the sequence filters live in {@link
 * SequenceFilters}. Arguments bind like Python calls (positional, then keyword, with the same
 * errors for unknown or missing arguments).
 */
final class Filters {
    private Filters() {}

    interface Impl {
        Object apply(Interpreter in, Object value, List<Object> args, Map<String, Object> kw);
    }

    private static final Map<String, Impl> ALL = new HashMap<>();
    static final Object REQ = Methods.REQUIRED;

    static void define(String name, Impl impl) {
        ALL.put(name, impl);
    }

    static boolean exists(String name) {
        return ALL.containsKey(name);
    }

    static Object apply(Interpreter in, String name, Object value, List<Object> args,
            Map<String, Object> kw) {
        Impl f = ALL.get(name);
        if (f == null) {
            throw new TemplateException("TemplateRuntimeError: No filter named '" + name + "' found.");
        }
        return f.apply(in, value, args, kw);
    }

    /** Binds call arguments to parameter names (after the filtered value), Python style. */
    static Object[] bind(String fn, List<Object> args, Map<String, Object> kw, String[] names,
            Object... defaults) {
        if (args.size() > names.length) {
            int max = names.length + 1;
            throw Py.typeError(fn + "() takes " + max + " positional argument" + (max == 1 ? "" : "s")
                    + " but " + (args.size() + 1) + " were given");
        }
        Object[] out = new Object[names.length];
        for (int i = 0; i < names.length; i++) {
            if (i < args.size()) {
                if (kw.containsKey(names[i])) {
                    throw Py.typeError(fn + "() got multiple values for argument '" + names[i] + "'");
                }
                out[i] = args.get(i);
            } else if (kw.containsKey(names[i])) {
                out[i] = kw.get(names[i]);
            } else if (defaults[i] == REQ) {
                throw Py.typeError(fn + "() missing 1 required positional argument: '" + names[i] + "'");
            } else {
                out[i] = defaults[i];
            }
        }
        for (String k : kw.keySet()) {
            if (!List.of(names).contains(k)) {
                throw Py.typeError(fn + "() got an unexpected keyword argument '" + k + "'");
            }
        }
        return out;
    }

    static String[] p(String... names) {
        return names;
    }

    static void simple(String name, Function<Object, Object> f) {
        ALL.put(name, (in, v, a, k) -> {
            bind("do_" + name, a, k, p());
            return f.apply(v);
        });
    }

    static String soft(Object v) {
        return Py.str(v);
    }

    static String htmlEscape(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&#34;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    static Object ignoreCase(Object v) {
        return v instanceof String s ? Strings.lower(s) : v;
    }

    private static final Pattern WORD_BEGINNING = Pattern.compile("[-\\s({\\[<]+",
            Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern WORD = Pattern.compile("\\w+", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern FLOAT_TEXT = Pattern.compile(
            "[+-]?(?:(?:\\d(?:_?\\d)*)(?:\\.(?:\\d(?:_?\\d)*)?)?|\\.\\d(?:_?\\d)*)(?:[eE][+-]?\\d(?:_?\\d)*)?"
            + "|[+-]?(?:inf|infinity|nan)", Pattern.CASE_INSENSITIVE);

    static {
        SequenceFilters.register();
        simple("abs", v -> {
            if (v instanceof Double d) {
                return Math.abs(d);
            }
            if (Py.isInt(v)) {
                return Math.abs(Py.toLong(v));
            }
            throw Py.typeError("bad operand type for abs(): '" + Py.typeName(v) + "'");
        });
        ALL.put("attr", (in, v, a, k) -> {
            Object[] b = bind("do_attr", a, k, p("name"), REQ);
            return Access.attribute(v, Py.str(b[0]));
        });
        simple("capitalize", v -> Strings.capitalize(soft(v)));
        ALL.put("center", (in, v, a, k) -> {
            Object[] b = bind("do_center", a, k, p("width"), 80L);
            return Strings.center(soft(v), Py.toLong(b[0]), " ");
        });
        simple("count", Py::len);
        simple("length", Py::len);
        Impl dflt = (in, v, a, k) -> {
            Object[] b = bind("do_default", a, k, p("default_value", "boolean"), "", false);
            return v instanceof Undefined || (Py.truthy(b[1]) && !Py.truthy(v)) ? b[0] : v;
        };
        ALL.put("default", dflt);
        ALL.put("d", dflt);
        Impl escape = (in, v, a, k) -> {
            bind("escape", a, k, p());
            return v instanceof Markup ? v : new Markup(htmlEscape(soft(v)));
        };
        ALL.put("escape", escape);
        ALL.put("e", escape);
        simple("forceescape", v -> new Markup(htmlEscape(soft(v))));
        ALL.put("float", (in, v, a, k) -> {
            Object[] b = bind("do_float", a, k, p("default"), 0.0);
            Double d = toFloat(v);
            return d == null ? b[0] : d;
        });
        ALL.put("format", (in, v, a, k) -> {
            if (!a.isEmpty() && !k.isEmpty()) {
                throw new TemplateException("FilterArgumentError: can't handle positional and keyword"
                        + " arguments at the same time");
            }
            Object values = k.isEmpty() ? new PyTuple(a.toArray()) : new LinkedHashMap<Object, Object>(k);
            return PyOps.percentFormat(soft(v), values);
        });
        ALL.put("indent", (in, v, a, k) -> {
            Object[] b = bind("do_indent", a, k, p("width", "first", "blank"), 4L, false, false);
            String indention = Py.isString(b[0]) ? Py.str(b[0]) : " ".repeat((int) Py.toLong(b[0]));
            List<Object> lines = Strings.splitlines(soft(v) + "\n", false);
            StringBuilder rv = new StringBuilder();
            if (Py.truthy(b[2])) {
                for (int i = 0; i < lines.size(); i++) {
                    if (i > 0) {
                        rv.append('\n').append(indention);
                    }
                    rv.append(lines.get(i));
                }
            } else {
                rv.append(lines.get(0));
                for (int i = 1; i < lines.size(); i++) {
                    String line = (String) lines.get(i);
                    rv.append('\n').append(line.isEmpty() ? "" : indention + line);
                }
            }
            return Py.truthy(b[1]) ? indention + rv : rv.toString();
        });
        ALL.put("int", (in, v, a, k) -> {
            Object[] b = bind("do_int", a, k, p("default", "base"), 0L, 10L);
            Long r = toInt(v, Py.toLong(b[1]));
            return r == null ? b[0] : r;
        });
        simple("lower", v -> Strings.lower(soft(v)));
        simple("upper", v -> Strings.upper(soft(v)));
        ALL.put("replace", (in, v, a, k) -> {
            Object[] b = bind("do_replace", a, k, p("old", "new", "count"), REQ, REQ, null);
            return Methods.replace(soft(v), soft(b[0]), soft(b[1]), b[2] == null ? -1 : Py.toLong(b[2]));
        });
        ALL.put("round", (in, v, a, k) -> {
            Object[] b = bind("do_round", a, k, p("precision", "method"), 0L, "common");
            return round(v, Py.toLong(b[0]), Py.str(b[1]));
        });
        simple("safe", v -> v instanceof Markup ? v : new Markup(soft(v)));
        simple("string", v -> v instanceof Markup ? v : Py.str(v));
        simple("title", v -> {
            StringBuilder sb = new StringBuilder();
            Matcher m = WORD_BEGINNING.matcher(soft(v));
            int last = 0;
            List<String> pieces = new ArrayList<>();
            while (m.find()) {
                pieces.add(soft(v).substring(last, m.start()));
                pieces.add(m.group());
                last = m.end();
            }
            pieces.add(soft(v).substring(last));
            for (String item : pieces) {
                if (!item.isEmpty()) {
                    int n = Character.charCount(item.codePointAt(0));
                    sb.append(Strings.upper(item.substring(0, n))).append(Strings.lower(item.substring(n)));
                }
            }
            return sb.toString();
        });
        ALL.put("tojson", (in, v, a, k) -> {
            Object[] b = bind("tojson", a, k, p("ensure_ascii", "indent", "separators", "sort_keys"),
                    false, null, null, false);
            return Json.dumps(v, Py.truthy(b[0]), b[1], b[2], Py.truthy(b[3]));
        });
        ALL.put("trim", (in, v, a, k) -> {
            Object[] b = bind("do_trim", a, k, p("chars"), (Object) null);
            return Strings.strip(soft(v), b[0] == null ? null : soft(b[0]), true, true);
        });
        ALL.put("truncate", (in, v, a, k) -> {
            Object[] b = bind("do_truncate", a, k, p("length", "killwords", "end", "leeway"), 255L, false,
                    "...", null);
            String s = soft(v);
            long length = Py.toLong(b[0]);
            String end = soft(b[2]);
            long leeway = b[3] == null ? 5 : Py.toLong(b[3]);
            if (length < Py.strLen(end)) {
                throw new TemplateException("AssertionError: expected length >= " + Py.strLen(end)
                        + ", got " + length);
            }
            if (Py.strLen(s) <= length + leeway) {
                return s;
            }
            String head = s.substring(0, Strings.offset(s, length - Py.strLen(end)));
            if (Py.truthy(b[1])) {
                return head + end;
            }
            return Strings.rsplit(head, " ", 1).get(0) + end;
        });
        simple("wordcount", v -> {
            Matcher m = WORD.matcher(soft(v));
            long n = 0;
            while (m.find()) {
                n++;
            }
            return n;
        });
    }

    private static Object round(Object v, long precision, String method) {
        if (!method.equals("common") && !method.equals("ceil") && !method.equals("floor")) {
            throw new TemplateException("FilterArgumentError: method must be common, ceil or floor");
        }
        if (!Py.isNumber(v)) {
            throw Py.typeError("type " + Py.typeName(v) + " doesn't define __round__ method");
        }
        if (method.equals("common")) {
            BigDecimal exact = v instanceof Double d ? new BigDecimal(d) : BigDecimal.valueOf(Py.toLong(v));
            if (v instanceof Double d && (d.isNaN() || d.isInfinite())) {
                return d;
            }
            BigDecimal r = exact.setScale((int) precision, RoundingMode.HALF_EVEN);
            if (v instanceof Double d) {
                return r.signum() == 0 ? Math.copySign(0.0, d) : r.doubleValue();
            }
            return r.longValue();
        }
        double scale = Math.pow(10, precision);
        double x = Py.toDouble(v) * scale;
        return (method.equals("ceil") ? Math.ceil(x) : Math.floor(x)) / scale;
    }

    /** Python's {@code float(v)}, or null where it raises TypeError/ValueError. */
    static Double toFloat(Object v) {
        if (v instanceof Undefined u) {
            throw u.error();
        }
        if (Py.isNumber(v)) {
            return Py.toDouble(v);
        }
        if (Py.isString(v)) {
            String s = Strings.strip(Py.str(v), null, true, true);
            if (!FLOAT_TEXT.matcher(s).matches()) {
                return null;
            }
            String lower = Strings.lower(s).replace("_", "");
            if (lower.endsWith("inf") || lower.endsWith("infinity")) {
                return lower.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            }
            if (lower.endsWith("nan")) {
                return Double.NaN;
            }
            return Double.parseDouble(lower);
        }
        return null;
    }

    /** Jinja2's {@code int} filter conversion, or null when it would use the default. */
    static Long toInt(Object v, long base) {
        if (v instanceof Undefined u) {
            throw u.error();
        }
        if (Py.isInt(v)) {
            return Py.toLong(v);
        }
        if (v instanceof Double d) {
            if (d.isNaN() || d.isInfinite()) {
                return null;
            }
            if (Math.abs(d) >= 9.2e18) {
                throw new TemplateException("OverflowError: integer does not fit in 64 bits");
            }
            return (long) (double) d;
        }
        if (Py.isString(v)) {
            Long parsed = parseInt(Strings.strip(Py.str(v), null, true, true), base);
            if (parsed != null) {
                return parsed;
            }
            Double d = toFloat(v);
            return d == null ? null : toInt(d, 10);
        }
        return null;
    }

    private static Long parseInt(String s, long base) {
        String t = s;
        boolean neg = false;
        if (t.startsWith("+") || t.startsWith("-")) {
            neg = t.startsWith("-");
            t = t.substring(1);
        }
        String lower = Strings.lower(t);
        int radix = (int) base;
        if ((base == 16 || base == 0) && lower.startsWith("0x")) {
            radix = 16;
            t = t.substring(2);
        } else if ((base == 8 || base == 0) && lower.startsWith("0o")) {
            radix = 8;
            t = t.substring(2);
        } else if ((base == 2 || base == 0) && lower.startsWith("0b")) {
            radix = 2;
            t = t.substring(2);
        } else if (base == 0) {
            radix = 10;
            if (t.length() > 1 && t.startsWith("0") && !t.replace("_", "").matches("0+")) {
                return null;
            }
        } else if (t.startsWith("_")) {
            return null;
        }
        if (radix < 2 || radix > 36 || t.isEmpty() || t.endsWith("_") || t.contains("__")) {
            return null;
        }
        try {
            long n = Long.parseLong(t.replace("_", ""), radix);
            return neg ? -n : n;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
