package dev.groupflow.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps(value, ensure_ascii, indent, separators, sort_keys)}, which Hugging
 * Face installs as the {@code tojson} filter (no HTML escaping, unlike Jinja2's own {@code
 * tojson}). Output is byte-identical to CPython's encoder, including float formatting and the
 * default separators ({@code ", "} and {@code ": "}, or {@code ","} between items when indenting).
 */
final class Json {
    private final boolean ensureAscii;
    private final String indent;
    private final String itemSeparator;
    private final String keySeparator;
    private final boolean sortKeys;
    private final StringBuilder sb = new StringBuilder();

    private Json(boolean ensureAscii, String indent, String itemSeparator, String keySeparator,
            boolean sortKeys) {
        this.ensureAscii = ensureAscii;
        this.indent = indent;
        this.itemSeparator = itemSeparator;
        this.keySeparator = keySeparator;
        this.sortKeys = sortKeys;
    }

    /**
     * @param indent null, an int (number of spaces) or a string
     * @param separators null or a two-item sequence (item separator, key separator)
     */
    static String dumps(Object value, boolean ensureAscii, Object indent, Object separators,
            boolean sortKeys) {
        String ind = null;
        if (indent != null) {
            ind = Py.isString(indent) ? Py.str(indent) : " ".repeat((int) Math.max(0, Py.toLong(indent)));
        }
        String itemSep = ind == null ? ", " : ",";
        String keySep = ": ";
        if (separators != null) {
            List<Object> seps = Py.toList(separators);
            if (seps.size() != 2) {
                throw new TemplateException("ValueError: too many values to unpack (expected 2)");
            }
            itemSep = Py.str(seps.get(0));
            keySep = Py.str(seps.get(1));
        }
        Json json = new Json(ensureAscii, ind, itemSep, keySep, sortKeys);
        json.write(value, 0);
        return json.sb.toString();
    }

    private void newline(int level) {
        if (indent != null) {
            sb.append('\n');
            for (int i = 0; i < level; i++) {
                sb.append(indent);
            }
        }
    }

    private void write(Object v, int level) {
        if (level > Interpreter.MAX_NESTING) {
            throw new TemplateException("ValueError: Circular reference detected or value nested too deeply");
        }
        Interpreter.checkSize(sb.length(), null);
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Boolean b) {
            sb.append(b ? "true" : "false");
        } else if (v instanceof Long l) {
            sb.append(l.longValue());
        } else if (v instanceof Double d) {
            sb.append(floatJson(d));
        } else if (Py.isString(v)) {
            string(Py.str(v));
        } else if (v instanceof List<?> l && !(v instanceof PyRange)) {
            if (l.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    sb.append(itemSeparator);
                }
                newline(level + 1);
                write(l.get(i), level + 1);
            }
            newline(level);
            sb.append(']');
        } else if (v instanceof Map<?, ?> m) {
            object(m, level);
        } else {
            throw Py.typeError("Object of type " + Py.typeName(v) + " is not JSON serializable");
        }
    }

    private void object(Map<?, ?> m, int level) {
        if (m.isEmpty()) {
            sb.append("{}");
            return;
        }
        List<Map.Entry<?, ?>> entries = new ArrayList<>(m.entrySet());
        if (sortKeys) {
            entries.sort((a, b) -> Py.compare(a.getKey(), b.getKey(), "<"));
        }
        sb.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : entries) {
            if (!first) {
                sb.append(itemSeparator);
            }
            first = false;
            newline(level + 1);
            string(key(e.getKey()));
            sb.append(keySeparator);
            write(e.getValue(), level + 1);
        }
        newline(level);
        sb.append('}');
    }

    private static String key(Object k) {
        if (Py.isString(k)) {
            return Py.str(k);
        }
        if (k == null) {
            return "null";
        }
        if (k instanceof Boolean b) {
            return b ? "true" : "false";
        }
        if (k instanceof Long l) {
            return l.toString();
        }
        if (k instanceof Double d) {
            return floatJson(d);
        }
        throw Py.typeError("keys must be str, int, float, bool or None, not " + Py.typeName(k));
    }

    private static String floatJson(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        return Py.floatRepr(d);
    }

    private void string(String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || (ensureAscii && c > 0x7e)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
