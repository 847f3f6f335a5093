package dev.groupflow.jinja;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Jinja2's built-in tests ({@code x is defined}, {@code x is equalto y}, ...). */
final class JinjaTests {
    private JinjaTests() {}

    interface Impl {
        boolean test(Interpreter in, Object value, Object[] args);
    }

    private record Entry(String[] params, Impl impl) {}

    private static final Map<String, Entry> ALL = new HashMap<>();
    private static final Object REQ = Methods.REQUIRED;

    static boolean exists(String name) {
        return ALL.containsKey(name);
    }

    static Object apply(Interpreter in, String name, Object value, List<Object> args,
            Map<String, Object> kw) {
        Entry e = ALL.get(name);
        if (e == null) {
            throw new TemplateException("TemplateRuntimeError: No test named '" + name + "' found.");
        }
        if (!kw.isEmpty() && e.params().length == 1 && e.params()[0].equals("b")) {
            throw Py.typeError("_operator." + OPERATOR_NAMES.getOrDefault(name, name)
                    + "() takes no keyword arguments");
        }
        Object[] defaults = new Object[e.params().length];
        Arrays.fill(defaults, REQ);
        Object[] bound = Filters.bind("test_" + name, args, kw, e.params(), defaults);
        return e.impl().test(in, value, bound);
    }

    private static final Map<String, String> OPERATOR_NAMES = Map.of("equalto", "eq", "==", "eq",
            "!=", "ne", "lessthan", "lt", "<", "lt", "<=", "le", "greaterthan", "gt", ">", "gt", ">=", "ge");

    private static void def(String name, Impl impl, String... params) {
        ALL.put(name, new Entry(params, impl));
    }

    private static void alias(String name, String target) {
        ALL.put(name, ALL.get(target));
    }

    static boolean isSequence(Object v) {
        return Py.isString(v) || v instanceof List || v instanceof Map || v instanceof Undefined;
    }

    static {
        def("defined", (in, v, a) -> !(v instanceof Undefined));
        def("undefined", (in, v, a) -> v instanceof Undefined);
        def("none", (in, v, a) -> v == null);
        def("boolean", (in, v, a) -> v instanceof Boolean);
        def("true", (in, v, a) -> Boolean.TRUE.equals(v));
        def("false", (in, v, a) -> Boolean.FALSE.equals(v));
        def("integer", (in, v, a) -> v instanceof Long);
        def("float", (in, v, a) -> v instanceof Double);
        def("number", (in, v, a) -> Py.isNumber(v));
        def("string", (in, v, a) -> Py.isString(v));
        def("mapping", (in, v, a) -> v instanceof Map);
        def("sequence", (in, v, a) -> isSequence(v));
        def("iterable", (in, v, a) -> isSequence(v) || v instanceof PyIter || v instanceof DictView);
        def("callable", (in, v, a) -> v instanceof PyCallable);
        def("escaped", (in, v, a) -> v instanceof Markup);
        def("even", (in, v, a) -> Py.eq(PyOps.binary("%", v, 2L), 0L));
        def("odd", (in, v, a) -> Py.eq(PyOps.binary("%", v, 2L), 1L));
        def("divisibleby", (in, v, a) -> Py.eq(PyOps.binary("%", v, a[0]), 0L), "num");
        def("lower", (in, v, a) -> {
            String s = Py.str(v);
            return s.codePoints().anyMatch(Character::isLowerCase)
                    && s.codePoints().noneMatch(c -> Character.isUpperCase(c) || Character.isTitleCase(c));
        });
        def("upper", (in, v, a) -> {
            String s = Py.str(v);
            return s.codePoints().anyMatch(c -> Character.isUpperCase(c) || Character.isTitleCase(c))
                    && s.codePoints().noneMatch(Character::isLowerCase);
        });
        def("sameas", (in, v, a) -> sameAs(v, a[0]), "other");
        def("in", (in, v, a) -> Py.contains(a[0], v), "seq");
        def("filter", (in, v, a) -> Py.isString(v) && Filters.exists(Py.str(v)));
        def("test", (in, v, a) -> Py.isString(v) && exists(Py.str(v)));
        def("eq", (in, v, a) -> Interpreter.compareOp("==", v, a[0]), "b");
        def("ne", (in, v, a) -> Interpreter.compareOp("!=", v, a[0]), "b");
        def("lt", (in, v, a) -> Interpreter.compareOp("<", v, a[0]), "b");
        def("le", (in, v, a) -> Interpreter.compareOp("<=", v, a[0]), "b");
        def("gt", (in, v, a) -> Interpreter.compareOp(">", v, a[0]), "b");
        def("ge", (in, v, a) -> Interpreter.compareOp(">=", v, a[0]), "b");
        alias("equalto", "eq");
        alias("==", "eq");
        alias("!=", "ne");
        alias("lessthan", "lt");
        alias("<", "lt");
        alias("<=", "le");
        alias("greaterthan", "gt");
        alias(">", "gt");
        alias(">=", "ge");
    }

    /** Python's {@code is}: identity, with CPython's singletons and small-int cache. */
    private static boolean sameAs(Object a, Object b) {
        if (a == null || b == null || a instanceof Boolean || b instanceof Boolean) {
            return a == b || (a instanceof Boolean && a.equals(b));
        }
        if (a instanceof Long x && b instanceof Long y) {
            return x.equals(y) && x >= -5 && x <= 256 || a == b;
        }
        if (a instanceof Undefined || b instanceof Undefined) {
            return false;
        }
        return a == b;
    }
}
