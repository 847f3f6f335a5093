package dev.groupflow.jinja;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Python's {@code str.format}: replacement fields {@code {0}}, {@code {name.attr[key]}}, conversions
 * {@code !s}/{@code !r} and the common format-spec mini-language (fill, align, sign, zero, width,
 * grouping, precision, and the s d x X o b c e f g % types). Field lookups go through the sandboxed
 * {@link Access} rules, as Jinja2's sandboxed formatter does.
 */
final class StrFormat {
    private StrFormat() {}

    static String format(String fmt, List<Object> args, Map<String, Object> kwargs) {
        StringBuilder out = new StringBuilder();
        int auto = 0;
        int i = 0;
        int n = fmt.length();
        while (i < n) {
            char c = fmt.charAt(i);
            if (c == '}') {
                if (i + 1 < n && fmt.charAt(i + 1) == '}') {
                    out.append('}');
                    i += 2;
                    continue;
                }
                throw new TemplateException("ValueError: Single '}' encountered in format string");
            }
            if (c != '{') {
                out.append(c);
                i++;
                continue;
            }
            if (i + 1 < n && fmt.charAt(i + 1) == '{') {
                out.append('{');
                i += 2;
                continue;
            }
            int depth = 1;
            int j = i + 1;
            while (j < n && depth > 0) {
                char d = fmt.charAt(j);
                if (d == '{') {
                    depth++;
                } else if (d == '}') {
                    depth--;
                }
                j++;
            }
            if (depth != 0) {
                throw new TemplateException("ValueError: expected '}' before end of string");
            }
            String field = fmt.substring(i + 1, j - 1);
            i = j;
            String spec = "";
            int colon = field.indexOf(':');
            if (colon >= 0) {
                spec = format(field.substring(colon + 1), args, kwargs);
                field = field.substring(0, colon);
            }
            char conversion = 0;
            int bang = field.indexOf('!');
            if (bang >= 0) {
                conversion = field.length() > bang + 1 ? field.charAt(bang + 1) : 0;
                field = field.substring(0, bang);
            }
            int end = 0;
            while (end < field.length() && field.charAt(end) != '.' && field.charAt(end) != '[') {
                end++;
            }
            String first = field.substring(0, end);
            Object value;
            if (first.isEmpty()) {
                value = positional(args, auto++);
            } else if (first.chars().allMatch(Character::isDigit)) {
                value = positional(args, Integer.parseInt(first));
            } else {
                if (!kwargs.containsKey(first)) {
                    throw new TemplateException("KeyError: " + Py.repr(first));
                }
                value = kwargs.get(first);
            }
            value = walk(value, field.substring(end));
            if (conversion == 'r' || conversion == 'a') {
                value = Py.repr(value);
            } else if (conversion == 's') {
                value = Py.str(value);
            }
            out.append(formatValue(value, spec));
            Interpreter.checkSize(out.length(), null);
        }
        return out.toString();
    }

    private static Object positional(List<Object> args, int index) {
        if (index >= args.size()) {
            throw new TemplateException("IndexError: Replacement index " + index
                    + " out of range for positional args tuple");
        }
        return args.get(index);
    }

    private static Object walk(Object value, String rest) {
        int i = 0;
        while (i < rest.length()) {
            if (rest.charAt(i) == '.') {
                int j = i + 1;
                while (j < rest.length() && rest.charAt(j) != '.' && rest.charAt(j) != '[') {
                    j++;
                }
                value = Access.getattr(value, rest.substring(i + 1, j));
                i = j;
            } else {
                int close = rest.indexOf(']', i);
                if (close < 0) {
                    throw new TemplateException("ValueError: Missing ']' in format string");
                }
                String key = rest.substring(i + 1, close);
                value = Access.getitem(value, key.chars().allMatch(Character::isDigit) && !key.isEmpty()
                        ? (Object) Long.parseLong(key) : key);
                i = close + 1;
            }
        }
        return value;
    }

    /** Python's {@code format(value, spec)} for the common types. */
    static String formatValue(Object value, String spec) {
        if (spec.isEmpty()) {
            return Py.str(value);
        }
        int i = 0;
        char fill = ' ';
        char align = 0;
        if (spec.length() >= 2 && "<>=^".indexOf(spec.charAt(1)) >= 0) {
            fill = spec.charAt(0);
            align = spec.charAt(1);
            i = 2;
        } else if ("<>=^".indexOf(spec.charAt(0)) >= 0) {
            align = spec.charAt(0);
            i = 1;
        }
        char sign = '-';
        if (i < spec.length() && "+- ".indexOf(spec.charAt(i)) >= 0) {
            sign = spec.charAt(i++);
        }
        boolean alternate = i < spec.length() && spec.charAt(i) == '#';
        if (alternate) {
            i++;
        }
        if (i < spec.length() && spec.charAt(i) == '0') {
            if (align == 0) {
                fill = '0';
                align = '=';
            }
            i++;
        }
        int start = i;
        while (i < spec.length() && Character.isDigit(spec.charAt(i))) {
            i++;
        }
        int width = i > start ? Integer.parseInt(spec.substring(start, i)) : 0;
        char grouping = 0;
        if (i < spec.length() && (spec.charAt(i) == ',' || spec.charAt(i) == '_')) {
            grouping = spec.charAt(i++);
        }
        int precision = -1;
        if (i < spec.length() && spec.charAt(i) == '.') {
            start = ++i;
            while (i < spec.length() && Character.isDigit(spec.charAt(i))) {
                i++;
            }
            precision = Integer.parseInt(spec.substring(start, i));
        }
        char type = i < spec.length() ? spec.charAt(i++) : 0;
        if (i != spec.length()) {
            throw new TemplateException("ValueError: Invalid format specifier");
        }
        String body;
        boolean numeric = Py.isNumber(value) && type != 's';
        if (!numeric) {
            if (type != 0 && type != 's') {
                throw new TemplateException("ValueError: Unknown format code '" + type
                        + "' for object of type '" + Py.typeName(value) + "'");
            }
            body = Py.str(value);
            if (precision >= 0 && precision < Py.strLen(body)) {
                body = body.substring(0, Strings.offset(body, precision));
            }
            return align(body, "", fill, align == 0 ? '<' : align, width);
        }
        String prefix = "";
        if (type == 0 && value instanceof Double d) {
            body = precision < 0 ? Py.floatRepr(Math.abs(d)) : Strings.formatFloat(Math.abs(d), 'g',
                    precision, alternate);
            prefix = d < 0 || (d == 0 && 1 / d < 0) ? "-" : "";
        } else if (type == 0 || "dxXobcn".indexOf(type) >= 0) {
            if (value instanceof Double) {
                throw new TemplateException("ValueError: Unknown format code '" + type
                        + "' for object of type 'float'");
            }
            long v = Py.toLong(value);
            prefix = v < 0 ? "-" : "";
            String abs = Long.toString(v).replace("-", "");
            body = switch (type) {
                case 'x' -> (alternate ? "0x" : "") + Long.toHexString(Math.abs(v));
                case 'X' -> (alternate ? "0X" : "") + Long.toHexString(Math.abs(v)).toUpperCase(Locale.ROOT);
                case 'o' -> (alternate ? "0o" : "") + Long.toOctalString(Math.abs(v));
                case 'b' -> (alternate ? "0b" : "") + Long.toBinaryString(Math.abs(v));
                case 'c' -> new String(Character.toChars((int) v));
                default -> abs;
            };
        } else {
            double d = Py.toDouble(value);
            prefix = d < 0 || (d == 0 && 1 / d < 0) ? "-" : "";
            if (type == '%') {
                body = Strings.formatFloat(Math.abs(d) * 100, 'f', precision < 0 ? 6 : precision, alternate) + "%";
            } else {
                body = Strings.formatFloat(Math.abs(d), type, precision < 0 ? 6 : precision, alternate);
            }
        }
        if (grouping != 0) {
            body = group(body, grouping);
        }
        if (prefix.isEmpty() && sign != '-') {
            prefix = String.valueOf(sign);
        }
        return align(body, prefix, fill, align == 0 ? '>' : align, width);
    }

    private static String group(String body, char sep) {
        int dot = body.indexOf('.');
        int intEnd = dot < 0 ? body.length() : dot;
        int digitsStart = 0;
        while (digitsStart < intEnd && !Character.isDigit(body.charAt(digitsStart))) {
            digitsStart++;
        }
        StringBuilder sb = new StringBuilder();
        String digits = body.substring(digitsStart, intEnd);
        for (int k = 0; k < digits.length(); k++) {
            if (k > 0 && (digits.length() - k) % 3 == 0) {
                sb.append(sep);
            }
            sb.append(digits.charAt(k));
        }
        return body.substring(0, digitsStart) + sb + body.substring(intEnd);
    }

    private static String align(String body, String prefix, char fill, char align, int width) {
        int len = Py.strLen(body) + prefix.length();
        if (width <= len) {
            return prefix + body;
        }
        String pad = String.valueOf(fill).repeat(width - len);
        return switch (align) {
            case '<' -> prefix + body + pad;
            case '=' -> prefix + pad + body;
            case '^' -> {
                int left = (width - len) / 2;
                yield pad.substring(0, left) + prefix + body + pad.substring(left);
            }
            default -> pad + prefix + body;
        };
    }
}
