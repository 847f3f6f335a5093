package dev.groupflow.jinja;

import dev.groupflow.jinja.Ast.Args;
import dev.groupflow.jinja.Ast.Expr;
import dev.groupflow.jinja.Ast.Node;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Random;

/**
 * Walks the parsed template and writes output. Scoping follows Jinja2: the template's top level
 * writes to the render context, every for-loop iteration, macro call, {@code with}, filter block
 * and block {@code set} body gets a fresh child scope (so {@code set} inside them does not leak),
 * while {@code if} bodies share their enclosing scope; {@code namespace} objects are the way to
 * carry state out of a loop. One interpreter renders one template once.
 */
final class Interpreter {
    /** Largest {@code range()} the sandbox allows (Jinja2's MAX_RANGE). */
    static final int MAX_RANGE = 100_000;
    /** Deepest nesting of template syntax or printed values. */
    static final int MAX_NESTING = 250;
    /** Deepest macro call chain (CPython's recursion limit stops Jinja2 at a similar depth). */
    static final int MAX_CALL_DEPTH = 150;
    /** Longest string (in UTF-16 units) any operation or the output may build. */
    static final long MAX_STRING = 64L * 1024 * 1024;

    enum Flow { NORMAL, BREAK, CONTINUE }

    /** A variable scope; lookups fall back to the parent, assignments stay local. */
    static final class Scope {
        private final Scope parent;
        private Map<String, Object> vars;

        Scope(Scope parent) {
            this.parent = parent;
        }

        Scope(Scope parent, Map<String, Object> vars) {
            this.parent = parent;
            this.vars = vars;
        }

        Object lookup(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                if (s.vars != null) {
                    Object v = s.vars.get(name);
                    if (v != null || s.vars.containsKey(name)) {
                        return v;
                    }
                }
            }
            return Undefined.variable(name);
        }

        void set(String name, Object value) {
            if (vars == null) {
                vars = new HashMap<>();
            }
            vars.put(name, value);
        }
    }

    /** Seed of {@link #random()}: the same template renders the same {@code lipsum} every time. */
    private static final long RANDOM_SEED = 0x6a696e6a61L;

    final Clock clock;
    private StringBuilder out = new StringBuilder();
    private int callDepth;
    private Random random;

    private Interpreter(Clock clock) {
        this.clock = clock;
    }

    /** Renders a parsed template with the given variables (already converted to template values). */
    static String render(List<Node> body, Map<String, Object> variables, Clock clock) {
        Interpreter in = new Interpreter(clock);
        Scope globals = new Scope(null, Globals.BUILTINS);
        Scope context = new Scope(globals, new HashMap<>(variables));
        try {
            in.execAll(body, context);
        } catch (StackOverflowError e) {
            throw new TemplateException("RecursionError: template evaluation nested too deeply");
        }
        return in.out.toString();
    }

    /** The render's source of randomness ({@code lipsum}), seeded so renders are reproducible. */
    Random random() {
        if (random == null) {
            random = new Random(RANDOM_SEED);
        }
        return random;
    }

    static <T> T checkSize(double size, T value) {
        if (size > MAX_STRING) {
            throw new TemplateException("MemoryError: string of " + (long) size
                    + " characters exceeds the template engine's limit of " + MAX_STRING);
        }
        return value;
    }

    // ------------------------------------------------------------------ statements

    Flow execAll(List<Node> nodes, Scope scope) {
        for (Node n : nodes) {
            Flow f;
            try {
                f = n.exec(this, scope);
            } catch (TemplateException e) {
                throw e.atLine(n.line());
            } catch (RuntimeException e) {
                throw wrap(e, n.line());
            }
            if (f != Flow.NORMAL) {
                return f;
            }
        }
        return Flow.NORMAL;
    }

    private static TemplateException wrap(RuntimeException e, int line) {
        return new TemplateException("internal error: " + e, line, 0, e);
    }

    void write(String s) {
        out.append(s);
        checkSize(out.length(), null);
    }

    /** Runs a body into a separate buffer and returns what it wrote. */
    String capture(List<Node> body, Scope scope) {
        StringBuilder saved = out;
        out = new StringBuilder();
        try {
            execAll(body, scope);
            return out.toString();
        } finally {
            out = saved;
        }
    }

    void execFor(Ast.For node, Object iterable, Scope scope, int depth0) {
        if (iterable == null) {
            throw Py.typeError("'NoneType' object is not iterable");
        }
        Iterator<Object> source = Py.iterate(iterable);
        Long knownLength = null;
        if (node.filter() != null) {
            source = filtered(node, source, scope);
        } else if (!(iterable instanceof PyIter)) {
            knownLength = Py.len(iterable);
        }
        LoopContext loop = new LoopContext(source, knownLength, depth0, !node.recursive() ? null
                : next -> {
                    StringBuilder saved = out;
                    out = new StringBuilder();
                    try {
                        execFor(node, next, scope, depth0 + 1);
                        return out.toString();
                    } finally {
                        out = saved;
                    }
                });
        // Like Jinja2, the else block runs unless some iteration reached the end of the body
        // (an iteration left by break or continue does not count).
        boolean completed = false;
        while (loop.hasNext()) {
            Object item = loop.next();
            Scope body = new Scope(scope);
            assign(node.target(), item, body);
            body.set("loop", loop);
            Flow flow = execAll(node.body(), body);
            if (flow == Flow.BREAK) {
                break;
            }
            if (flow == Flow.NORMAL) {
                completed = true;
            }
        }
        if (!completed) {
            execAll(node.otherwise(), new Scope(scope));
        }
    }

    private Iterator<Object> filtered(Ast.For node, Iterator<Object> source, Scope scope) {
        return new Iterator<>() {
            private Object pending;
            private boolean ready;

            @Override
            public boolean hasNext() {
                while (!ready && source.hasNext()) {
                    Object item = source.next();
                    Scope test = new Scope(scope);
                    assign(node.target(), item, test);
                    if (Py.truthy(eval(node.filter(), test))) {
                        pending = item;
                        ready = true;
                    }
                }
                return ready;
            }

            @Override
            public Object next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                ready = false;
                return pending;
            }
        };
    }

    void assign(Expr target, Object value, Scope scope) {
        if (target instanceof Ast.Name n) {
            scope.set(n.name(), value);
        } else if (target instanceof Ast.NsRef ref) {
            Object ns = scope.lookup(ref.ns());
            if (!(ns instanceof Namespace namespace)) {
                throw new TemplateException("TemplateRuntimeError: cannot assign attribute on"
                        + " non-namespace object");
            }
            namespace.attrs.put(ref.attr(), value);
        } else {
            List<Expr> targets = ((Ast.TupleExpr) target).items();
            List<Object> values = Py.toList(value);
            if (values.size() > targets.size()) {
                throw new TemplateException("ValueError: too many values to unpack (expected "
                        + targets.size() + ")");
            }
            if (values.size() < targets.size()) {
                throw new TemplateException("ValueError: not enough values to unpack (expected "
                        + targets.size() + ", got " + values.size() + ")");
            }
            for (int i = 0; i < targets.size(); i++) {
                assign(targets.get(i), values.get(i), scope);
            }
        }
    }

    void execCallBlock(Ast.CallBlock node, Scope scope) {
        Object fn = eval(node.call().fn(), scope);
        List<Object> args = new ArrayList<>();
        Map<String, Object> kwargs = new LinkedHashMap<>();
        evalArgs(node.call().args(), scope, args, kwargs);
        kwargs.put("caller", new Macro(node.caller(), scope));
        write(Py.str(call(fn, args, kwargs)));
    }

    // ------------------------------------------------------------------ expressions

    Object eval(Expr e, Scope scope) {
        try {
            return e.eval(this, scope);
        } catch (TemplateException ex) {
            throw ex.atLine(e.line());
        } catch (RuntimeException ex) {
            throw wrap(ex, e.line());
        }
    }

    Object evalOrNull(Expr e, Scope scope) {
        return e == null ? null : eval(e, scope);
    }

    List<Object> evalAll(List<Expr> exprs, Scope scope) {
        List<Object> out = new ArrayList<>(exprs.size());
        for (Expr e : exprs) {
            out.add(eval(e, scope));
        }
        return out;
    }

    Object evalDict(Ast.DictExpr d, Scope scope) {
        Map<Object, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < d.keys().size(); i++) {
            Object key = eval(d.keys().get(i), scope);
            Object value = eval(d.values().get(i), scope);
            putKey(map, key, value);
        }
        return map;
    }

    /** Inserts with Python's key semantics: hashable keys only, equal numbers are one key. */
    static void putKey(Map<Object, Object> map, Object key, Object value) {
        if ((key instanceof List && !(key instanceof PyTuple)) || key instanceof Map
                || key instanceof Undefined) {
            throw Py.typeError("unhashable type: '" + Py.typeName(key) + "'");
        }
        Object existing = Py.findKey(map, key);
        map.put(existing == Py.NO_KEY ? (key instanceof Markup m ? m.text() : key) : existing, value);
    }

    Object evalCompare(Ast.Compare c, Scope scope) {
        Object left = eval(c.first(), scope);
        for (int i = 0; i < c.ops().size(); i++) {
            Object right = eval(c.rest().get(i), scope);
            if (!compareOp(c.ops().get(i), left, right)) {
                return false;
            }
            left = right;
        }
        return true;
    }

    static boolean compareOp(String op, Object a, Object b) {
        return switch (op) {
            case "==" -> Py.eq(a, b);
            case "!=" -> !Py.eq(a, b);
            case "<" -> Py.compare(a, b, op) < 0;
            case "<=" -> Py.compare(a, b, op) <= 0;
            case ">" -> Py.compare(a, b, op) > 0;
            case ">=" -> Py.compare(a, b, op) >= 0;
            case "in" -> Py.contains(b, a);
            default -> !Py.contains(b, a);
        };
    }

    void evalArgs(Args a, Scope scope, List<Object> args, Map<String, Object> kwargs) {
        for (Expr e : a.positional()) {
            args.add(eval(e, scope));
        }
        if (a.star() != null) {
            Py.iterate(eval(a.star(), scope)).forEachRemaining(args::add);
        }
        for (int i = 0; i < a.names().size(); i++) {
            kwargs.put(a.names().get(i), eval(a.values().get(i), scope));
        }
        if (a.starStar() != null) {
            Object extra = eval(a.starStar(), scope);
            if (!(extra instanceof Map<?, ?> m)) {
                throw Py.typeError("argument after ** must be a mapping, not " + Py.typeName(extra));
            }
            m.forEach((k, v) -> kwargs.put(Py.str(k), v));
        }
    }

    Object evalCall(Ast.Call c, Scope scope) {
        Object fn = eval(c.fn(), scope);
        List<Object> args = new ArrayList<>();
        Map<String, Object> kwargs = new LinkedHashMap<>();
        evalArgs(c.args(), scope, args, kwargs);
        return call(fn, args, kwargs);
    }

    Object call(Object fn, List<Object> args, Map<String, Object> kwargs) {
        if (fn instanceof PyCallable callable) {
            if (callDepth >= MAX_CALL_DEPTH) {
                throw new TemplateException("RecursionError: maximum call depth of " + MAX_CALL_DEPTH
                        + " exceeded");
            }
            callDepth++;
            try {
                return callable.call(this, args, kwargs);
            } finally {
                callDepth--;
            }
        }
        if (fn instanceof Undefined u) {
            throw u.error();
        }
        throw Py.typeError("'" + Py.typeName(fn) + "' object is not callable");
    }

    Object applyFilter(Ast.FilterExpr f, Object value, Scope scope) {
        List<Object> args = new ArrayList<>();
        Map<String, Object> kwargs = new LinkedHashMap<>();
        evalArgs(f.args(), scope, args, kwargs);
        return Filters.apply(this, f.name(), value, args, kwargs);
    }

    /** Applies a filter chain whose innermost filter has no operand to {@code value}. */
    Object applyFilterChain(Ast.FilterExpr f, Object value, Scope scope) {
        Object input = f.value() == null ? value
                : applyFilterChain((Ast.FilterExpr) f.value(), value, scope);
        return applyFilter(f, input, scope);
    }

    Object evalTest(Ast.TestExpr t, Scope scope) {
        Object value = eval(t.value(), scope);
        List<Object> args = new ArrayList<>();
        Map<String, Object> kwargs = new LinkedHashMap<>();
        evalArgs(t.args(), scope, args, kwargs);
        return JinjaTests.apply(this, t.name(), value, args, kwargs);
    }

    /** A macro (or the body of a call block, bound as {@code caller}) with its defining scope. */
    static final class Macro implements PyCallable {
        private final Ast.MacroDef def;
        private final Scope closure;

        Macro(Ast.MacroDef def, Scope closure) {
            this.def = def;
            this.closure = closure;
        }

        @Override
        public Object call(Interpreter in, List<Object> args, Map<String, Object> kwargs) {
            Scope scope = new Scope(closure);
            Map<String, Object> extraKw = new LinkedHashMap<>(kwargs);
            List<String> params = def.params();
            int firstDefault = params.size() - def.defaults().size();
            for (int i = 0; i < params.size(); i++) {
                String p = params.get(i);
                Object value;
                if (i < args.size()) {
                    if (extraKw.containsKey(p)) {
                        throw Py.typeError("macro '" + def.name() + "' got multiple values for argument '"
                                + p + "'");
                    }
                    value = args.get(i);
                } else if (extraKw.containsKey(p)) {
                    value = extraKw.remove(p);
                } else if (i >= firstDefault) {
                    value = in.eval(def.defaults().get(i - firstDefault), scope);
                } else {
                    value = Undefined.hint("parameter '" + p + "' was not provided");
                }
                scope.set(p, value);
            }
            if (def.usesCaller()) {
                Object caller = extraKw.remove("caller");
                scope.set("caller", caller != null ? caller : Undefined.hint("No caller defined"));
            }
            if (args.size() > params.size()) {
                if (!def.usesVarargs()) {
                    throw Py.typeError("macro '" + def.name() + "' takes not more than " + params.size()
                            + " argument(s)");
                }
            }
            if (def.usesVarargs()) {
                scope.set("varargs", PyTuple.of(args.subList(Math.min(args.size(), params.size()), args.size())));
            }
            if (def.usesKwargs()) {
                scope.set("kwargs", new LinkedHashMap<Object, Object>(extraKw));
            } else if (!extraKw.isEmpty()) {
                throw Py.typeError("macro '" + def.name() + "' takes no keyword argument '"
                        + extraKw.keySet().iterator().next() + "'");
            }
            return in.capture(def.body(), scope);
        }

        @Override
        public String describe() {
            return "<Macro '" + def.name() + "'>";
        }

        @Override
        public String toString() {
            return describe();
        }
    }
}
