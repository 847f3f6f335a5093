package dev.groupflow.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Python's arithmetic operators and {@code %}-formatting, with CPython's rules and messages. */
final class PyOps {
    private PyOps() {}

    static Object binary(String op, Object a, Object b) {
        if (a instanceof Undefined u) {
            throw u.error();
        }
        if (b instanceof Undefined u) {
            throw u.error();
        }
        return switch (op) {
            case "+" -> add(a, b);
            case "-" -> numeric(op, a, b);
            case "*" -> mul(a, b);
            case "/" -> div(a, b);
            case "//" -> floorDiv(a, b);
            case "%" -> mod(a, b);
            case "**" -> pow(a, b);
            default -> throw new IllegalArgumentException(op);
        };
    }

    private static TemplateException unsupported(String op, Object a, Object b) {
        return Py.typeError("unsupported operand type(s) for " + op + ": '" + Py.typeName(a) + "' and '"
                + Py.typeName(b) + "'");
    }

    static Object add(Object a, Object b) {
        if (Py.isNumber(a) && Py.isNumber(b)) {
            return numeric("+", a, b);
        }
        if (a instanceof Markup || b instanceof Markup) {
            if (Py.isString(a) && Py.isString(b)) {
                return new Markup(escapeText(a) + escapeText(b));
            }
        } else if (a instanceof String sa && b instanceof String sb) {
            return Interpreter.checkSize(sa.length() + (long) sb.length(), sa + sb);
        }
        if (a instanceof List<?> la && b instanceof List<?> lb && !(a instanceof PyRange)
                && !(b instanceof PyRange) && (a instanceof PyTuple) == (b instanceof PyTuple)) {
            List<Object> out = new ArrayList<>(la);
            out.addAll(lb);
            return a instanceof PyTuple ? PyTuple.of(out) : out;
        }
        if (Py.isString(a) && !Py.isString(b)) {
            throw Py.typeError("can only concatenate str (not \"" + Py.typeName(b) + "\") to str");
        }
        if (a instanceof List && !(a instanceof PyTuple) && !(a instanceof PyRange)) {
            throw Py.typeError("can only concatenate list (not \"" + Py.typeName(b) + "\") to list");
        }
        throw unsupported("+", a, b);
    }

    private static String escapeText(Object o) {
        return o instanceof Markup m ? m.text() : Filters.htmlEscape(Py.str(o));
    }

    static Object numeric(String op, Object a, Object b) {
        if (!Py.isNumber(a) || !Py.isNumber(b)) {
            throw unsupported(op, a, b);
        }
        if (a instanceof Double || b instanceof Double) {
            double x = Py.toDouble(a);
            double y = Py.toDouble(b);
            return switch (op) {
                case "+" -> x + y;
                case "-" -> x - y;
                default -> x * y;
            };
        }
        long x = Py.toLong(a);
        long y = Py.toLong(b);
        try {
            return switch (op) {
                case "+" -> Math.addExact(x, y);
                case "-" -> Math.subtractExact(x, y);
                default -> Math.multiplyExact(x, y);
            };
        } catch (ArithmeticException e) {
            throw overflow();
        }
    }

    private static TemplateException overflow() {
        return new TemplateException("OverflowError: integer result does not fit in 64 bits"
                + " (this engine's integers are 64-bit)");
    }

    static Object mul(Object a, Object b) {
        if (Py.isNumber(a) && Py.isNumber(b)) {
            return numeric("*", a, b);
        }
        if (Py.isInt(a) && !Py.isNumber(b)) {
            return mul(b, a);
        }
        if (Py.isInt(b)) {
            long n = Math.max(0, Py.toLong(b));
            if (a instanceof String s) {
                Interpreter.checkSize(s.length() * (double) n, null);
                return s.repeat((int) n);
            }
            if (a instanceof Markup m) {
                Interpreter.checkSize(m.text().length() * (double) n, null);
                return new Markup(m.text().repeat((int) n));
            }
            if (a instanceof List<?> l && !(a instanceof PyRange)) {
                Interpreter.checkSize(l.size() * (double) n, null);
                List<Object> out = new ArrayList<>();
                for (long i = 0; i < n; i++) {
                    out.addAll(l);
                }
                return a instanceof PyTuple ? PyTuple.of(out) : out;
            }
        }
        if (Py.isString(a) || a instanceof List) {
            throw Py.typeError("can't multiply sequence by non-int of type '" + Py.typeName(b) + "'");
        }
        throw unsupported("*", a, b);
    }

    static Object div(Object a, Object b) {
        if (!Py.isNumber(a) || !Py.isNumber(b)) {
            throw unsupported("/", a, b);
        }
        double y = Py.toDouble(b);
        if (y == 0) {
            throw new TemplateException("ZeroDivisionError: division by zero");
        }
        return Py.toDouble(a) / y;
    }

    static Object floorDiv(Object a, Object b) {
        if (!Py.isNumber(a) || !Py.isNumber(b)) {
            throw unsupported("//", a, b);
        }
        if (a instanceof Double || b instanceof Double) {
            double x = Py.toDouble(a);
            double y = Py.toDouble(b);
            if (y == 0) {
                throw new TemplateException("ZeroDivisionError: float floor division by zero");
            }
            return floatDivMod(x, y)[0];
        }
        long y = Py.toLong(b);
        if (y == 0) {
            throw new TemplateException("ZeroDivisionError: integer division or modulo by zero");
        }
        long x = Py.toLong(a);
        if (x == Long.MIN_VALUE && y == -1) {
            throw overflow();
        }
        return Math.floorDiv(x, y);
    }

    /** CPython's float divmod: returns {floor quotient, modulo}. */
    private static double[] floatDivMod(double x, double y) {
        double mod = x % y;
        double div = (x - mod) / y;
        if (mod != 0) {
            if ((y < 0) != (mod < 0)) {
                mod += y;
                div -= 1.0;
            }
        } else {
            mod = Math.copySign(0.0, y);
        }
        double floordiv;
        if (div != 0) {
            floordiv = Math.floor(div);
            if (div - floordiv > 0.5) {
                floordiv += 1.0;
            }
        } else {
            floordiv = Math.copySign(0.0, x / y);
        }
        return new double[] {floordiv, mod};
    }

    static Object mod(Object a, Object b) {
        if (Py.isString(a)) {
            String out = percentFormat(Py.str(a), b);
            return a instanceof Markup ? new Markup(out) : out;
        }
        if (!Py.isNumber(a) || !Py.isNumber(b)) {
            throw unsupported("%", a, b);
        }
        if (a instanceof Double || b instanceof Double) {
            double y = Py.toDouble(b);
            if (y == 0) {
                throw new TemplateException("ZeroDivisionError: float modulo");
            }
            return floatDivMod(Py.toDouble(a), y)[1];
        }
        long y = Py.toLong(b);
        if (y == 0) {
            throw new TemplateException("ZeroDivisionError: integer division or modulo by zero");
        }
        return Math.floorMod(Py.toLong(a), y);
    }

    static Object pow(Object a, Object b) {
        if (!Py.isNumber(a) || !Py.isNumber(b)) {
            throw unsupported("** or pow()", a, b);
        }
        if (a instanceof Double || b instanceof Double || Py.toLong(b) < 0) {
            double x = Py.toDouble(a);
            double y = Py.toDouble(b);
            if (x == 0 && y < 0) {
                throw new TemplateException("ZeroDivisionError: 0.0 cannot be raised to a negative power");
            }
            double r = Math.pow(x, y);
            if (Double.isInfinite(r) && !Double.isInfinite(x)) {
                throw new TemplateException("OverflowError: (34, 'Numerical result out of range')");
            }
            if (Double.isNaN(r) && !Double.isNaN(x) && !Double.isNaN(y)) {
                throw new TemplateException("ValueError: negative number cannot be raised to a fractional"
                        + " power (complex results are not supported)");
            }
            return r;
        }
        long base = Py.toLong(a);
        long exp = Py.toLong(b);
        long result = 1;
        try {
            while (exp > 0) {
                if ((exp & 1) == 1) {
                    result = Math.multiplyExact(result, base);
                }
                exp >>= 1;
                if (exp > 0) {
                    base = Math.multiplyExact(base, base);
                }
            }
        } catch (ArithmeticException e) {
            throw overflow();
        }
        return result;
    }

    static Object negate(Object a) {
        if (a instanceof Undefined u) {
            throw u.error();
        }
        if (a instanceof Double d) {
            return -d;
        }
        if (Py.isInt(a)) {
            long v = Py.toLong(a);
            if (v == Long.MIN_VALUE) {
                throw overflow();
            }
            return -v;
        }
        throw Py.typeError("bad operand type for unary -: '" + Py.typeName(a) + "'");
    }

    static Object positive(Object a) {
        if (a instanceof Undefined u) {
            throw u.error();
        }
        if (a instanceof Double) {
            return a;
        }
        if (Py.isInt(a)) {
            return Py.toLong(a);
        }
        throw Py.typeError("bad operand type for unary +: '" + Py.typeName(a) + "'");
    }

    /** Python's {@code format % values} for the common conversions (s r a d i f F e E g G x X o c %). */
    static String percentFormat(String format, Object values) {
        List<Object> args;
        Map<?, ?> mapping = values instanceof Map<?, ?> m ? m : null;
        if (values instanceof PyTuple t) {
            args = new ArrayList<>(t);
        } else {
            args = new ArrayList<>();
            args.add(values);
        }
        StringBuilder sb = new StringBuilder();
        int argi = 0;
        int i = 0;
        int n = format.length();
        while (i < n) {
            char c = format.charAt(i++);
            if (c != '%') {
                sb.append(c);
                continue;
            }
            if (i >= n) {
                throw new TemplateException("ValueError: incomplete format");
            }
            Object arg = null;
            boolean haveArg = false;
            if (format.charAt(i) == '(') {
                int close = format.indexOf(')', i);
                if (close < 0 || mapping == null) {
                    throw Py.typeError("format requires a mapping");
                }
                String key = format.substring(i + 1, close);
                Object k = Py.findKey(mapping, key);
                if (k == Py.NO_KEY) {
                    throw new TemplateException("KeyError: " + Py.repr(key));
                }
                arg = mapping.get(k);
                haveArg = true;
                i = close + 1;
            }
            StringBuilder flags = new StringBuilder();
            while (i < n && "-+ #0".indexOf(format.charAt(i)) >= 0) {
                flags.append(format.charAt(i++));
            }
            int width = -1;
            int start = i;
            while (i < n && Character.isDigit(format.charAt(i))) {
                i++;
            }
            if (i > start) {
                width = Integer.parseInt(format.substring(start, i));
            }
            int precision = -1;
            if (i < n && format.charAt(i) == '.') {
                i++;
                start = i;
                while (i < n && Character.isDigit(format.charAt(i))) {
                    i++;
                }
                precision = i > start ? Integer.parseInt(format.substring(start, i)) : 0;
            }
            if (i >= n) {
                throw new TemplateException("ValueError: incomplete format");
            }
            char conv = format.charAt(i++);
            if (conv == '%') {
                sb.append('%');
                continue;
            }
            if (!haveArg) {
                if (mapping != null && !(values instanceof PyTuple)) {
                    arg = values;
                } else {
                    if (argi >= args.size()) {
                        throw Py.typeError("not enough arguments for format string");
                    }
                    arg = args.get(argi++);
                }
            }
            String body = switch (conv) {
                case 's' -> precisionCut(Py.str(arg), precision);
                case 'r', 'a' -> precisionCut(Py.repr(arg), precision);
                case 'd', 'i', 'u' -> signed(Long.toString(intArg(arg, conv)), flags);
                case 'x' -> signed(Long.toString(intArg(arg, conv), 16), flags);
                case 'X' -> signed(Long.toString(intArg(arg, conv), 16).toUpperCase(), flags);
                case 'o' -> signed(Long.toString(intArg(arg, conv), 8), flags);
                case 'f', 'F', 'e', 'E', 'g', 'G' -> signed(Strings.formatFloat(floatArg(arg, conv),
                        conv, precision < 0 ? 6 : precision, flags.indexOf("#") >= 0), flags);
                case 'c' -> arg instanceof String s ? s : new String(Character.toChars((int) Py.toLong(arg)));
                default -> throw new TemplateException("ValueError: unsupported format character '"
                        + conv + "'");
            };
            sb.append(Strings.pad(body, width, flags.indexOf("-") >= 0,
                    flags.indexOf("0") >= 0 && "srac".indexOf(conv) < 0));
        }
        if (mapping == null && argi < args.size()) {
            throw Py.typeError("not all arguments converted during string formatting");
        }
        return sb.toString();
    }

    private static String precisionCut(String s, int precision) {
        return precision >= 0 && precision < s.length() ? s.substring(0, precision) : s;
    }

    private static String signed(String digits, CharSequence flags) {
        if (digits.startsWith("-")) {
            return digits;
        }
        String f = flags.toString();
        return f.contains("+") ? "+" + digits : f.contains(" ") ? " " + digits : digits;
    }

    private static long intArg(Object arg, char conv) {
        if (arg instanceof Double d) {
            if (conv == 'd' || conv == 'i' || conv == 'u') {
                return (long) (double) d;
            }
        } else if (Py.isInt(arg)) {
            return Py.toLong(arg);
        }
        throw Py.typeError("%" + conv + " format: an integer is required, not " + Py.typeName(arg));
    }

    private static double floatArg(Object arg, char conv) {
        if (Py.isNumber(arg)) {
            return Py.toDouble(arg);
        }
        throw Py.typeError("must be real number, not " + Py.typeName(arg));
    }
}
