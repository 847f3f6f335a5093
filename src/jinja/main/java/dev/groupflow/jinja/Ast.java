package dev.groupflow.jinja;

import dev.groupflow.jinja.Interpreter.Flow;
import dev.groupflow.jinja.Interpreter.Scope;
import java.util.List;

/**
 * The parsed template: expression nodes ({@link Expr}) evaluate to values, statement nodes
 * ({@link Node}) write output. Each node knows its template line for error messages and delegates
 * its behaviour to the {@link Interpreter}.
 */
final class Ast {
    private Ast() {}

    /** An expression. */
    interface Expr {
        int line();

        Object eval(Interpreter in, Scope scope);
    }

    /** A statement or piece of output. */
    interface Node {
        int line();

        Flow exec(Interpreter in, Scope scope);
    }

    /** Call arguments: positional, keyword, and the optional {@code *args} / {@code **kwargs}. */
    record Args(List<Expr> positional, List<String> names, List<Expr> values, Expr star, Expr starStar) {
        static final Args NONE = new Args(List.of(), List.of(), List.of(), null, null);
    }

    // ------------------------------------------------------------------ expressions

    record Const(int line, Object value) implements Expr {
        public Object eval(Interpreter in, Scope s) {
            return value;
        }
    }

    record Name(int line, String name) implements Expr {
        public Object eval(Interpreter in, Scope s) {
            return s.lookup(name);
        }
    }

    record GetAttr(int line, Expr obj, String attr) implements Expr {
        public Object eval(Interpreter in, Scope s) {
            return Access.getattr(in.eval(obj, s), attr);
        }
    }

    record GetItem(int line, Expr obj, Expr key) implements Expr {
        public Object eval(Interpreter in, Scope s) {
            Object target = in.eval(obj, s);
            return Access.getitem(target, in.eval(key, s));
        }
    }

    record Slice(int line, Expr start, Expr stop, Expr step) implements Expr {
        public Object eval(Interpreter in, Scope s) {
            return new Access.SliceValue(in.evalOrNull(start, s), in.evalOrNull(stop, s),
                    in.evalOrNull(step, s));
        }
    }

    record TupleExpr(int line, List<Expr> items) implements Expr {
        public Object eval(Interpreter in, Scope s) {
            return PyTuple.of(in.evalAll(items, s));
        }
    }

    record ListExpr(int line, List<Expr> items) implements Expr {
        public Object eval(Interpreter in, Scope s) {
            return in.evalAll(items, s);
        }
    }

    record DictExpr(int line, List<Expr> keys, List<Expr> values) implements Expr {
        public Object eval(Interpreter in, Scope s) {
            return in.evalDict(this, s);
        }
    }

    record Unary(int line, String op, Expr operand) implements Expr {
        public Object eval(Interpreter in, Scope s) {
            Object v = in.eval(operand, s);
            return switch (op) {
                case "not" -> !Py.truthy(v);
                case "-" -> PyOps.negate(v);
                default -> PyOps.positive(v);
            };
        }
    }

    record Binary(int line, String op, Expr left, Expr right) implements Expr {
        public Object eval(Interpreter in, Scope s) {
            Object a = in.eval(left, s);
            return PyOps.binary(op, a, in.eval(right, s));
        }
    }

    record Logical(int line, boolean isAnd, Expr left, Expr right) implements Expr {
        public Object eval(Interpreter in, Scope s) {
            Object a = in.eval(left, s);
            if (Py.truthy(a) != isAnd) {
                return a;
            }
            return in.eval(right, s);
        }
    }

    record Concat(int line, List<Expr> parts) implements Expr {
        public Object eval(Interpreter in, Scope s) {
            StringBuilder sb = new StringBuilder();
            for (Expr e : parts) {
                sb.append(Py.str(in.eval(e, s)));
                Interpreter.checkSize(sb.length(), null);
            }
            return sb.toString();
        }
    }

    record Compare(int line, Expr first, List<String> ops, List<Expr> rest) implements Expr {
        public Object eval(Interpreter in, Scope s) {
            return in.evalCompare(this, s);
        }
    }

    record CondExpr(int line, Expr test, Expr then, Expr otherwise) implements Expr {
        public Object eval(Interpreter in, Scope s) {
            if (Py.truthy(in.eval(test, s))) {
                return in.eval(then, s);
            }
            return otherwise == null
                    ? Undefined.hint("the inline if-expression on line " + line
                            + " evaluated to false and no else section was defined.")
                    : in.eval(otherwise, s);
        }
    }

    record Call(int line, Expr fn, Args args) implements Expr {
        public Object eval(Interpreter in, Scope s) {
            return in.evalCall(this, s);
        }
    }

    /** {@code value|name(args)}; {@code value} is null inside a filter block or block set. */
    record FilterExpr(int line, Expr value, String name, Args args) implements Expr {
        public Object eval(Interpreter in, Scope s) {
            return in.applyFilter(this, in.eval(value, s), s);
        }
    }

    record TestExpr(int line, Expr value, String name, Args args) implements Expr {
        public Object eval(Interpreter in, Scope s) {
            return in.evalTest(this, s);
        }
    }

    /** {@code ns.attr} as an assignment target. */
    record NsRef(int line, String ns, String attr) implements Expr {
        public Object eval(Interpreter in, Scope s) {
            throw new TemplateException("namespace reference used as a value");
        }
    }

    // ------------------------------------------------------------------ statements

    record Text(int line, String text) implements Node {
        public Flow exec(Interpreter in, Scope s) {
            in.write(text);
            return Flow.NORMAL;
        }
    }

    record Print(int line, Expr expr) implements Node {
        public Flow exec(Interpreter in, Scope s) {
            in.write(Py.str(in.eval(expr, s)));
            return Flow.NORMAL;
        }
    }

    record If(int line, List<Expr> tests, List<List<Node>> bodies, List<Node> otherwise)
            implements Node {
        public Flow exec(Interpreter in, Scope s) {
            for (int i = 0; i < tests.size(); i++) {
                if (Py.truthy(in.eval(tests.get(i), s))) {
                    return in.execAll(bodies.get(i), s);
                }
            }
            return in.execAll(otherwise, s);
        }
    }

    record For(int line, Expr target, Expr iter, Expr filter, List<Node> body, List<Node> otherwise,
            boolean recursive) implements Node {
        public Flow exec(Interpreter in, Scope s) {
            in.execFor(this, in.eval(iter, s), s, 0);
            return Flow.NORMAL;
        }
    }

    record Set(int line, Expr target, Expr value) implements Node {
        public Flow exec(Interpreter in, Scope s) {
            in.assign(target, in.eval(value, s), s);
            return Flow.NORMAL;
        }
    }

    record SetBlock(int line, Expr target, FilterExpr filter, List<Node> body) implements Node {
        public Flow exec(Interpreter in, Scope s) {
            Object value = in.capture(body, new Scope(s));
            if (filter != null) {
                value = in.applyFilterChain(filter, value, s);
            }
            in.assign(target, value, s);
            return Flow.NORMAL;
        }
    }

    record MacroDef(int line, String name, List<String> params, List<Expr> defaults,
            List<Node> body, boolean usesVarargs, boolean usesKwargs, boolean usesCaller)
            implements Node {
        public Flow exec(Interpreter in, Scope s) {
            s.set(name, new Interpreter.Macro(this, s));
            return Flow.NORMAL;
        }
    }

    record CallBlock(int line, Call call, MacroDef caller) implements Node {
        public Flow exec(Interpreter in, Scope s) {
            in.execCallBlock(this, s);
            return Flow.NORMAL;
        }
    }

    record FilterBlock(int line, FilterExpr filter, List<Node> body) implements Node {
        public Flow exec(Interpreter in, Scope s) {
            Object text = in.capture(body, new Scope(s));
            in.write(Py.str(in.applyFilterChain(filter, text, s)));
            return Flow.NORMAL;
        }
    }

    record With(int line, List<Expr> targets, List<Expr> values, List<Node> body) implements Node {
        public Flow exec(Interpreter in, Scope s) {
            List<Object> evaluated = in.evalAll(values, s);
            Scope inner = new Scope(s);
            for (int i = 0; i < targets.size(); i++) {
                in.assign(targets.get(i), evaluated.get(i), inner);
            }
            return in.execAll(body, inner);
        }
    }

    /** A body run in its own scope, as Hugging Face's {@code generation} block is. */
    record ScopedBlock(int line, List<Node> body) implements Node {
        public Flow exec(Interpreter in, Scope s) {
            in.write(in.capture(body, new Scope(s)));
            return Flow.NORMAL;
        }
    }

    record Break(int line) implements Node {
        public Flow exec(Interpreter in, Scope s) {
            return Flow.BREAK;
        }
    }

    record Continue(int line) implements Node {
        public Flow exec(Interpreter in, Scope s) {
            return Flow.CONTINUE;
        }
    }
}
