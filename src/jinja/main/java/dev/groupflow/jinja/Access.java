package dev.groupflow.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Attribute access ({@code x.name}) and subscription ({@code x[key]}) with the semantics of
 * Jinja2's {@code ImmutableSandboxedEnvironment}: {@code x.name} prefers the Python attribute
 * (so {@code dict.items} is the method) and falls back to the item, {@code x[key]} does the
 * reverse; misses yield {@link Undefined}; methods that mutate lists or dicts and dunder names are
 * refused as unsafe. Java null is Python's {@code None}, a value like any other: an attribute or
 * item that holds None yields null, and only a lookup Python would fail yields {@link Undefined}
 * (internally {@link #MISSING} marks "no such attribute or item").
 */
final class Access {
    private Access() {}

    /** A slice object {@code start:stop:step} as produced by a subscript. */
    record SliceValue(Object start, Object stop, Object step) {
        @Override
        public String toString() {
            return "slice(" + Py.repr(start) + ", " + Py.repr(stop) + ", " + Py.repr(step) + ")";
        }
    }

    /** Objects with their own attributes (loop contexts, cyclers). */
    interface HasAttrs {
        /** The attribute's value (null for None), or {@link Access#MISSING} if there is none. */
        Object attr(String name);
    }

    /**
     * What a lookup yields where Python has no such attribute or item (where Python raises
     * AttributeError or LookupError). Java null cannot mark that: it is None, which an attribute or
     * item may hold.
     */
    static final Object MISSING = new Object();

    /** {@code obj.name}: Jinja2's sandboxed getattr. */
    static Object getattr(Object obj, String name) {
        if (obj instanceof Undefined u) {
            throw u.error();
        }
        Object attr = pythonAttribute(obj, name);
        if (attr != MISSING) {
            return attr;
        }
        Object item = itemOrMissing(obj, name);
        return item != MISSING ? item : Undefined.member(obj, name);
    }

    /** {@code obj[key]}: Jinja2's sandboxed getitem. */
    static Object getitem(Object obj, Object key) {
        if (obj instanceof Undefined u) {
            throw u.error();
        }
        Object item = itemOrMissing(obj, key);
        if (item != MISSING) {
            return item;
        }
        if (key instanceof String name) {
            Object attr = pythonAttribute(obj, name);
            if (attr != MISSING) {
                return attr;
            }
        }
        return Undefined.member(obj, key);
    }

    /** Python's {@code getattr(obj, name)} only, without the item fallback (the attr filter). */
    static Object attribute(Object obj, String name) {
        if (obj instanceof Undefined) {
            return Undefined.member(obj, name);
        }
        Object attr = pythonAttribute(obj, name);
        return attr != MISSING ? attr : Undefined.member(obj, name);
    }

    /** Python's {@code obj[key]}, or MISSING where Python raises TypeError/LookupError. */
    private static Object itemOrMissing(Object obj, Object key) {
        if (obj instanceof Map<?, ?> m) {
            Object k = Py.findKey(m, key);
            return k == Py.NO_KEY ? MISSING : m.get(k);
        }
        if (key instanceof SliceValue s) {
            return slice(obj, s);
        }
        if (!Py.isInt(key)) {
            return MISSING;
        }
        long i = Py.toLong(key);
        if (obj instanceof List<?> l) {
            long idx = i < 0 ? i + l.size() : i;
            return idx >= 0 && idx < l.size() ? l.get((int) idx) : MISSING;
        }
        if (Py.isString(obj)) {
            String s = Py.str(obj);
            long n = Py.strLen(s);
            long idx = i < 0 ? i + n : i;
            if (idx < 0 || idx >= n) {
                return MISSING;
            }
            int off = Strings.offset(s, idx);
            return s.substring(off, off + Character.charCount(s.codePointAt(off)));
        }
        return MISSING;
    }

    /** Python attribute lookup: methods and properties; MISSING when Python has no such attribute. */
    private static Object pythonAttribute(Object obj, String name) {
        if (name.startsWith("__") && name.endsWith("__") && name.length() > 4) {
            return Undefined.unsafe(obj, name);
        }
        if (obj instanceof Namespace ns) {
            return ns.attrs.containsKey(name) ? ns.attrs.get(name) : MISSING;
        }
        if (obj instanceof HasAttrs h) {
            Object own = h.attr(name);
            if (own != MISSING) {
                return own;
            }
        }
        if (obj instanceof PyRange r) {
            switch (name) {
                case "start":
                    return r.start;
                case "stop":
                    return r.stop;
                case "step":
                    return r.step;
                default:
                    break;
            }
        }
        if (Methods.isUnsafe(obj, name)) {
            return Undefined.unsafe(obj, name);
        }
        if (Methods.has(obj, name)) {
            return new Methods.BoundMethod(obj, name);
        }
        return MISSING;
    }

    /** Python slicing of lists, tuples, ranges and strings. */
    static Object slice(Object obj, SliceValue s) {
        boolean isString = Py.isString(obj);
        if (!isString && !(obj instanceof List)) {
            return MISSING;
        }
        for (Object part : new Object[] {s.start(), s.stop(), s.step()}) {
            if (part != null && !Py.isInt(part)) {
                return MISSING;
            }
        }
        List<?> items = isString ? Py.codePoints(Py.str(obj)) : (List<?>) obj;
        long step = s.step() == null ? 1 : Py.toLong(s.step());
        if (step == 0) {
            throw new TemplateException("ValueError: slice step cannot be zero");
        }
        long n = items.size();
        long start = bound(s.start(), n, step, true);
        long stop = bound(s.stop(), n, step, false);
        if (obj instanceof PyRange r) {
            long newStop = step > 0 ? Math.max(stop, start) : Math.min(stop, start);
            return new PyRange(r.start + start * r.step, r.start + newStop * r.step, r.step * step);
        }
        List<Object> out = new ArrayList<>();
        if (step > 0) {
            for (long i = start; i < stop; i += step) {
                out.add(items.get((int) i));
            }
        } else {
            for (long i = start; i > stop; i += step) {
                out.add(items.get((int) i));
            }
        }
        if (isString) {
            StringBuilder sb = new StringBuilder();
            out.forEach(sb::append);
            return obj instanceof Markup ? new Markup(sb.toString()) : sb.toString();
        }
        if (obj instanceof PyTuple) {
            return PyTuple.of(out);
        }
        return out;
    }

    private static long bound(Object value, long n, long step, boolean isStart) {
        if (value == null) {
            if (step > 0) {
                return isStart ? 0 : n;
            }
            return isStart ? n - 1 : -1;
        }
        long v = Py.toLong(value);
        if (v < 0) {
            v += n;
            if (v < 0) {
                v = step < 0 ? -1 : 0;
            }
        } else if (v >= n) {
            v = step < 0 ? n - 1 : n;
        }
        return v;
    }
}
