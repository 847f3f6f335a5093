package dev.groupflow.jinja;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The {@code loop} variable inside a for loop. Like Jinja2's {@code LoopContext} it looks at most
 * one item ahead (for {@code last}/{@code nextitem}) and only materializes the rest of the iterable
 * when {@code length}/{@code revindex} is asked for, so loop filters are evaluated lazily.
 */
final class LoopContext implements Access.HasAttrs, PyCallable {
    private static final Object NONE_YET = new Object();

    private Iterator<Object> source;
    private Object after = NONE_YET;
    private Object before = NONE_YET;
    private Object current = NONE_YET;
    private Object lastChanged = NONE_YET;
    private Long length;
    private long index0 = -1;
    private final int depth0;
    private final Function<Object, String> recurse;

    LoopContext(Iterator<Object> source, Long knownLength, int depth0, Function<Object, String> recurse) {
        this.source = source;
        this.length = knownLength;
        this.depth0 = depth0;
        this.recurse = recurse;
    }

    private static final Object END = new Object();

    private Object peek() {
        if (after == NONE_YET) {
            after = source.hasNext() ? source.next() : END;
        }
        return after;
    }

    boolean hasNext() {
        return peek() != END;
    }

    Object next() {
        Object rv = peek();
        after = NONE_YET;
        index0++;
        before = current;
        current = rv;
        return rv;
    }

    long length() {
        if (length == null) {
            List<Object> rest = new ArrayList<>();
            source.forEachRemaining(rest::add);
            source = rest.iterator();
            boolean hasAfter = after != NONE_YET && after != END;
            length = rest.size() + index0 + 1 + (hasAfter ? 1 : 0);
        }
        return length;
    }

    @Override
    public Object attr(String name) {
        return switch (name) {
            case "index" -> index0 + 1;
            case "index0" -> index0;
            case "first" -> index0 == 0;
            case "last" -> !hasNext();
            case "length" -> length();
            case "revindex" -> length() - index0;
            case "revindex0" -> length() - index0 - 1;
            case "depth" -> (long) depth0 + 1;
            case "depth0" -> (long) depth0;
            case "previtem" -> before == NONE_YET ? Undefined.hint("there is no previous item") : before;
            case "nextitem" -> hasNext() ? peek() : Undefined.hint("there is no next item");
            case "cycle" -> new Builtin("cycle", (in, args, kw) -> {
                if (args.isEmpty()) {
                    throw Py.typeError("no items for cycling given");
                }
                return args.get((int) (index0 % args.size()));
            });
            case "changed" -> new Builtin("changed", (in, args, kw) -> {
                Object value = new PyTuple(args.toArray());
                if (lastChanged == NONE_YET || !Py.eq(value, lastChanged)) {
                    lastChanged = value;
                    return true;
                }
                return false;
            });
            default -> Access.MISSING;
        };
    }

    @Override
    public Object call(Interpreter in, List<Object> args, Map<String, Object> kwargs) {
        if (recurse == null) {
            throw Py.typeError("The loop must have the 'recursive' marker to be called recursively.");
        }
        if (args.size() != 1) {
            throw Py.typeError("loop() takes exactly one argument");
        }
        return recurse.apply(args.get(0));
    }

    @Override
    public String describe() {
        return "<LoopContext " + (index0 + 1) + "/" + (length == null ? "?" : length) + ">";
    }

    @Override
    public String toString() {
        return describe();
    }

    /** A named built-in function implemented by a lambda. */
    record Builtin(String name, Body body) implements PyCallable {
        interface Body {
            Object call(Interpreter in, List<Object> args, Map<String, Object> kwargs);
        }

        @Override
        public Object call(Interpreter in, List<Object> args, Map<String, Object> kwargs) {
            return body.call(in, args, kwargs);
        }

        @Override
        public String describe() {
            return "<built-in function " + name + ">";
        }
    }
}
