package dev.groupflow.jinja;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The Python methods templates may call on strings, dicts, lists, tuples and ranges. */
final class Methods {
    private Methods() {}

    private static final Set<String> STR = Set.of("upper", "lower", "title", "capitalize",
            "swapcase", "casefold", "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines",
            "startswith", "endswith", "find", "rfind", "index", "rindex", "count", "replace", "join",
            "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower", "istitle", "isnumeric",
            "isdecimal", "zfill", "ljust", "rjust", "center", "partition", "rpartition",
            "removeprefix", "removesuffix", "format", "format_map");
    private static final Set<String> DICT = Set.of("get", "items", "keys", "values", "copy");
    private static final Set<String> DICT_UNSAFE =
            Set.of("clear", "pop", "popitem", "setdefault", "update");
    private static final Set<String> LIST = Set.of("index", "count", "copy");
    private static final Set<String> LIST_UNSAFE =
            Set.of("append", "clear", "pop", "reverse", "insert", "sort", "extend", "remove");
    private static final Set<String> SEQ = Set.of("index", "count");

    /** A method bound to its receiver, e.g. {@code message.content.startswith}. */
    record BoundMethod(Object self, String name) implements PyCallable {
        @Override
        public Object call(Interpreter in, List<Object> args, Map<String, Object> kwargs) {
            return invoke(in, self, name, args, kwargs);
        }

        @Override
        public String describe() {
            return "<built-in method " + name + " of " + Py.typeName(self) + " object>";
        }
    }

    static boolean has(Object obj, String name) {
        if (Py.isString(obj)) {
            return STR.contains(name);
        }
        if (obj instanceof Map) {
            return DICT.contains(name);
        }
        if (obj instanceof PyTuple || obj instanceof PyRange) {
            return SEQ.contains(name);
        }
        if (obj instanceof List) {
            return LIST.contains(name);
        }
        return false;
    }

    static boolean isUnsafe(Object obj, String name) {
        if (obj instanceof Map) {
            return DICT_UNSAFE.contains(name);
        }
        if (obj instanceof List && !(obj instanceof PyTuple) && !(obj instanceof PyRange)) {
            return LIST_UNSAFE.contains(name);
        }
        return false;
    }

    /** Positional-or-keyword argument {@code i} called {@code name}, or {@code dflt}. */
    static Object arg(List<Object> args, Map<String, Object> kwargs, int i, String name, Object dflt) {
        if (i < args.size()) {
            return args.get(i);
        }
        return kwargs.containsKey(name) ? kwargs.get(name) : dflt;
    }

    static final Object REQUIRED = new Object();

    private static Object need(String method, List<Object> args, Map<String, Object> kwargs, int i,
            String name) {
        Object v = arg(args, kwargs, i, name, REQUIRED);
        if (v == REQUIRED) {
            throw Py.typeError(method + "() missing required argument '" + name + "' (pos " + (i + 1) + ")");
        }
        return v;
    }

    private static String strArg(String method, Object v) {
        if (v == null) {
            return null;
        }
        if (!Py.isString(v)) {
            throw Py.typeError(method + " arg must be None or str, not " + Py.typeName(v));
        }
        return Py.str(v);
    }

    private static String needStr(String method, List<Object> args, Map<String, Object> kw, int i,
            String name) {
        Object v = need(method, args, kw, i, name);
        if (!Py.isString(v)) {
            throw Py.typeError("must be str, not " + Py.typeName(v));
        }
        return Py.str(v);
    }

    static Object invoke(Interpreter in, Object self, String name, List<Object> args,
            Map<String, Object> kw) {
        if (Py.isString(self)) {
            return string(in, Py.str(self), name, args, kw);
        }
        if (self instanceof Map<?, ?> m) {
            @SuppressWarnings("unchecked")
            Map<Object, Object> map = (Map<Object, Object>) m;
            return dict(map, name, args, kw);
        }
        List<?> list = (List<?>) self;
        return switch (name) {
            case "copy" -> new ArrayList<>(list);
            case "count" -> {
                Object x = need(name, args, kw, 0, "value");
                yield list.stream().filter(o -> Py.eq(o, x)).count();
            }
            default -> {
                Object x = need(name, args, kw, 0, "value");
                long n = list.size();
                long start = Strings.clampIndex(arg(args, kw, 1, "start", null), n, 0);
                long stop = Strings.clampIndex(arg(args, kw, 2, "stop", null), n, n);
                for (long i = start; i < stop; i++) {
                    if (Py.eq(list.get((int) i), x)) {
                        yield i;
                    }
                }
                throw new TemplateException("ValueError: " + Py.repr(x) + " is not in list");
            }
        };
    }

    private static Object dict(Map<Object, Object> map, String name, List<Object> args,
            Map<String, Object> kw) {
        return switch (name) {
            case "get" -> {
                Object key = need(name, args, kw, 0, "key");
                Object k = Py.findKey(map, key);
                yield k == Py.NO_KEY ? arg(args, kw, 1, "default", null) : map.get(k);
            }
            case "copy" -> new LinkedHashMap<>(map);
            default -> new DictView(name, map);
        };
    }

    private static Object string(Interpreter in, String s, String name, List<Object> args,
            Map<String, Object> kw) {
        switch (name) {
            case "upper":
                return Strings.upper(s);
            case "lower":
            case "casefold":
                return Strings.lower(s);
            case "title":
                return Strings.title(s);
            case "capitalize":
                return Strings.capitalize(s);
            case "swapcase":
                return Strings.swapcase(s);
            case "strip":
            case "lstrip":
            case "rstrip":
                return Strings.strip(s, strArg(name, arg(args, kw, 0, "chars", null)),
                        !name.equals("rstrip"), !name.equals("lstrip"));
            case "split":
            case "rsplit": {
                String sep = strArg(name, arg(args, kw, 0, "sep", null));
                long max = Py.toLong(arg(args, kw, 1, "maxsplit", -1L));
                return name.equals("split") ? Strings.split(s, sep, max) : Strings.rsplit(s, sep, max);
            }
            case "splitlines":
                return Strings.splitlines(s, Py.truthy(arg(args, kw, 0, "keepends", false)));
            case "startswith":
            case "endswith":
                return affix(s, name, args, kw);
            case "find":
            case "rfind":
            case "index":
            case "rindex":
                return find(s, name, args, kw);
            case "count":
                return count(s, args, kw);
            case "replace": {
                String old = needStr(name, args, kw, 0, "old");
                String repl = needStr(name, args, kw, 1, "new");
                long count = Py.toLong(arg(args, kw, 2, "count", -1L));
                return replace(s, old, repl, count);
            }
            case "join":
                return join(s, need(name, args, kw, 0, "iterable"));
            case "isdigit":
            case "isdecimal":
            case "isnumeric":
                return !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
            case "isalpha":
                return !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
            case "isalnum":
                return !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
            case "isspace":
                return !s.isEmpty() && s.chars().allMatch(Py::isSpace);
            case "isupper":
                return s.codePoints().anyMatch(Character::isUpperCase)
                        && s.codePoints().noneMatch(Character::isLowerCase);
            case "islower":
                return s.codePoints().anyMatch(Character::isLowerCase)
                        && s.codePoints().noneMatch(Character::isUpperCase);
            case "istitle":
                return !s.isEmpty() && Strings.title(s).equals(s)
                        && s.codePoints().anyMatch(Character::isLetter);
            case "zfill":
                return Strings.zfill(s, Py.toLong(need(name, args, kw, 0, "width")));
            case "ljust":
            case "rjust":
            case "center": {
                long width = Py.toLong(need(name, args, kw, 0, "width"));
                String fill = Py.str(arg(args, kw, 1, "fillchar", " "));
                if (Py.strLen(fill) != 1) {
                    throw Py.typeError("The fill character must be exactly one character long");
                }
                return name.equals("ljust") ? Strings.ljust(s, width, fill)
                        : name.equals("rjust") ? Strings.rjust(s, width, fill) : Strings.center(s, width, fill);
            }
            case "partition":
            case "rpartition": {
                String sep = needStr(name, args, kw, 0, "sep");
                if (sep.isEmpty()) {
                    throw new TemplateException("ValueError: empty separator");
                }
                int i = name.equals("partition") ? s.indexOf(sep) : s.lastIndexOf(sep);
                if (i < 0) {
                    return name.equals("partition") ? new PyTuple(s, "", "") : new PyTuple("", "", s);
                }
                return new PyTuple(s.substring(0, i), sep, s.substring(i + sep.length()));
            }
            case "removeprefix": {
                String p = needStr(name, args, kw, 0, "prefix");
                return s.startsWith(p) ? s.substring(p.length()) : s;
            }
            case "removesuffix": {
                String p = needStr(name, args, kw, 0, "suffix");
                return !p.isEmpty() && s.endsWith(p) ? s.substring(0, s.length() - p.length()) : s;
            }
            case "format":
                return StrFormat.format(s, args, kw);
            case "format_map": {
                Object mapping = need(name, args, kw, 0, "mapping");
                if (!(mapping instanceof Map<?, ?> m)) {
                    throw Py.typeError("format_map() argument must be a mapping");
                }
                Map<String, Object> named = new LinkedHashMap<>();
                m.forEach((k, v) -> named.put(Py.str(k), v));
                return StrFormat.format(s, List.of(), named);
            }
            default:
                throw new TemplateException("AttributeError: 'str' object has no attribute '" + name + "'");
        }
    }

    private static Object affix(String s, String name, List<Object> args, Map<String, Object> kw) {
        Object affix = need(name, args, kw, 0, name.equals("startswith") ? "prefix" : "suffix");
        long n = Py.strLen(s);
        Object rawStart = arg(args, kw, 1, "start", null);
        if (rawStart != null && Py.toLong(rawStart) > n) {
            return false;
        }
        String sub = s.substring(Strings.offset(s, Strings.clampIndex(rawStart, n, 0)),
                Strings.offset(s, Strings.clampIndex(arg(args, kw, 2, "end", null), n, n)));
        List<Object> options = affix instanceof PyTuple t ? t : List.of(affix);
        for (Object o : options) {
            if (!Py.isString(o)) {
                throw Py.typeError(name + " first arg must be str or a tuple of str, not "
                        + Py.typeName(o));
            }
            String a = Py.str(o);
            if (name.equals("startswith") ? sub.startsWith(a) : sub.endsWith(a)) {
                return true;
            }
        }
        return false;
    }

    private static Object find(String s, String name, List<Object> args, Map<String, Object> kw) {
        String sub = needStr(name, args, kw, 0, "sub");
        long n = Py.strLen(s);
        Object rawStart = arg(args, kw, 1, "start", null);
        long start = Strings.clampIndex(rawStart, n, 0);
        long end = Strings.clampIndex(arg(args, kw, 2, "end", null), n, n);
        long result = -1;
        boolean beyond = rawStart != null && Py.toLong(rawStart) > n;
        if (!beyond && start <= end) {
            int from = Strings.offset(s, start);
            int to = Strings.offset(s, end);
            String window = s.substring(from, to);
            int idx = name.startsWith("r") ? window.lastIndexOf(sub) : window.indexOf(sub);
            if (idx >= 0) {
                result = start + window.codePointCount(0, idx);
            }
        }
        if (result < 0 && name.contains("index")) {
            throw new TemplateException("ValueError: substring not found");
        }
        return result;
    }

    private static Object count(String s, List<Object> args, Map<String, Object> kw) {
        String sub = needStr("count", args, kw, 0, "sub");
        long n = Py.strLen(s);
        long start = Strings.clampIndex(arg(args, kw, 1, "start", null), n, 0);
        long end = Strings.clampIndex(arg(args, kw, 2, "end", null), n, n);
        if (start > end) {
            return 0L;
        }
        String window = s.substring(Strings.offset(s, start), Strings.offset(s, end));
        if (sub.isEmpty()) {
            return (long) Py.strLen(window) + 1;
        }
        long c = 0;
        for (int i = window.indexOf(sub); i >= 0; i = window.indexOf(sub, i + sub.length())) {
            c++;
        }
        return c;
    }

    /** Python's {@code str.replace}, including the empty-pattern case. */
    static String replace(String s, String old, String repl, long count) {
        if (count < 0) {
            count = Long.MAX_VALUE;
        }
        StringBuilder sb = new StringBuilder();
        if (old.isEmpty()) {
            List<Object> cps = Py.codePoints(s);
            long done = 0;
            for (Object cp : cps) {
                if (done < count) {
                    sb.append(repl);
                    done++;
                }
                sb.append(cp);
                Interpreter.checkSize(sb.length(), null);
            }
            if (done < count) {
                sb.append(repl);
            }
            return sb.toString();
        }
        int i = 0;
        long done = 0;
        while (done < count) {
            int j = s.indexOf(old, i);
            if (j < 0) {
                break;
            }
            sb.append(s, i, j).append(repl);
            Interpreter.checkSize(sb.length(), null);
            i = j + old.length();
            done++;
        }
        return sb.append(s, i, s.length()).toString();
    }

    private static String join(String sep, Object iterable) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        for (var it = Py.iterate(iterable); it.hasNext(); i++) {
            Object item = it.next();
            if (!Py.isString(item)) {
                throw Py.typeError("sequence item " + i + ": expected str instance, " + Py.typeName(item)
                        + " found");
            }
            if (i > 0) {
                sb.append(sep);
            }
            sb.append(Py.str(item));
            Interpreter.checkSize(sb.length(), null);
        }
        return sb.toString();
    }
}
