package dev.groupflow.jinja;

import static dev.groupflow.jinja.Filters.REQ;
import static dev.groupflow.jinja.Filters.apply;
import static dev.groupflow.jinja.Filters.define;
import static dev.groupflow.jinja.Filters.bind;
import static dev.groupflow.jinja.Filters.ignoreCase;
import static dev.groupflow.jinja.Filters.p;
import static dev.groupflow.jinja.Filters.simple;
import static dev.groupflow.jinja.Filters.soft;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.Function;

/**
 * Jinja2's filters over sequences and mappings: selection ({@code select}, {@code selectattr},
 * {@code map}, {@code unique}), ordering ({@code sort}, {@code dictsort}, {@code reverse}), grouping
 * ({@code groupby}, {@code batch}, {@code slice}) and aggregation ({@code join}, {@code sum},
 * {@code min}, {@code max}, {@code first}, {@code last}). Generator results are lazy one-shot
 * {@link PyIter}s, as in Jinja2.
 */
final class SequenceFilters {
    private SequenceFilters() {}

    /** Adds these filters to the registry; called once from Filters' initializer. */
    static void register() {
        define("batch", (in, v, a, k) -> {
            Object[] b = bind("do_batch", a, k, p("linecount", "fill_with"), REQ, null);
            long count = Py.toLong(b[0]);
            Iterator<Object> src = Py.iterate(v);
            return generator(new Gen() {
                Object produce() {
                    List<Object> tmp = new ArrayList<>();
                    while (tmp.size() < count && src.hasNext()) {
                        tmp.add(src.next());
                    }
                    if (tmp.isEmpty()) {
                        return finish();
                    }
                    if (b[1] != null) {
                        while (tmp.size() < count) {
                            tmp.add(b[1]);
                        }
                    }
                    return tmp;
                }
            });
        });
        define("dictsort", (in, v, a, k) -> {
            Object[] b = bind("do_dictsort", a, k, p("case_sensitive", "by", "reverse"), false, "key", false);
            int pos = switch (Py.str(b[1])) {
                case "key" -> 0;
                case "value" -> 1;
                default -> throw new TemplateException(
                        "FilterArgumentError: You can only sort by either \"key\" or \"value\"");
            };
            if (v instanceof Undefined u) {
                throw u.error();
            }
            if (!(v instanceof Map<?, ?> m)) {
                throw new TemplateException("AttributeError: '" + Py.typeName(v)
                        + "' object has no attribute 'items'");
            }
            List<Object> items = new ArrayList<>();
            m.forEach((key, val) -> items.add(new PyTuple(key, val)));
            boolean cs = Py.truthy(b[0]);
            return sorted(items, t -> {
                Object x = ((PyTuple) t).get(pos);
                return cs ? x : ignoreCase(x);
            }, Py.truthy(b[2]));
        });
        simple("first", v -> {
            Iterator<Object> it = Py.iterate(v);
            return it.hasNext() ? it.next() : Undefined.hint("No first item, sequence was empty.");
        });
        simple("last", v -> {
            Iterator<Object> it = reversed(v);
            return it.hasNext() ? it.next() : Undefined.hint("No last item, sequence was empty.");
        });
        define("groupby", (in, v, a, k) -> {
            Object[] b = bind("do_groupby", a, k, p("attribute", "default", "case_sensitive"), REQ, null, false);
            boolean cs = Py.truthy(b[2]);
            Function<Object, Object> key = attrGetter(b[0], b[1], !cs);
            Function<Object, Object> realKey = attrGetter(b[0], b[1], false);
            List<Object> items = sorted(Py.toList(v), key, false);
            List<Object> out = new ArrayList<>();
            int i = 0;
            while (i < items.size()) {
                Object groupKey = key.apply(items.get(i));
                List<Object> group = new ArrayList<>();
                while (i < items.size() && Py.eq(key.apply(items.get(i)), groupKey)) {
                    group.add(items.get(i++));
                }
                out.add(new GroupTuple(cs ? groupKey : realKey.apply(group.get(0)), group));
            }
            return out;
        });
        simple("items", v -> {
            if (v instanceof Undefined) {
                return generator(Collections.emptyIterator());
            }
            if (!(v instanceof Map<?, ?> m)) {
                throw Py.typeError("Can only get item pairs from a mapping.");
            }
            @SuppressWarnings("unchecked")
            Map<Object, Object> map = (Map<Object, Object>) m;
            return generator(new DictView("items", map).iterator());
        });
        define("join", (in, v, a, k) -> {
            Object[] b = bind("sync_do_join", a, k, p("d", "attribute"), "", null);
            Function<Object, Object> get = b[1] == null ? Function.identity() : attrGetter(b[1], null, false);
            StringBuilder sb = new StringBuilder();
            String sep = soft(b[0]);
            boolean first = true;
            for (Iterator<Object> it = Py.iterate(v); it.hasNext(); ) {
                if (!first) {
                    sb.append(sep);
                }
                first = false;
                sb.append(Py.str(get.apply(it.next())));
                Interpreter.checkSize(sb.length(), null);
            }
            return sb.toString();
        });
        simple("list", Py::toList);
        define("map", (in, v, a, k) -> {
            Function<Object, Object> f = mapFunction(in, a, k);
            boolean nonEmpty = Py.truthy(v);
            Iterator<Object> src = nonEmpty ? Py.iterate(v) : Collections.emptyIterator();
            return generator(new Gen() {
                Object produce() {
                    return src.hasNext() ? f.apply(src.next()) : finish();
                }
            });
        });
        define("max", (in, v, a, k) -> minMax(v, a, k, true));
        define("min", (in, v, a, k) -> minMax(v, a, k, false));
        define("reject", (in, v, a, k) -> selectOrReject(in, v, a, k, false, false));
        define("rejectattr", (in, v, a, k) -> selectOrReject(in, v, a, k, false, true));
        define("select", (in, v, a, k) -> selectOrReject(in, v, a, k, true, false));
        define("selectattr", (in, v, a, k) -> selectOrReject(in, v, a, k, true, true));
        simple("reverse", v -> {
            if (Py.isString(v)) {
                List<Object> cps = Py.codePoints(Py.str(v));
                Collections.reverse(cps);
                StringBuilder sb = new StringBuilder();
                cps.forEach(sb::append);
                return sb.toString();
            }
            if (v instanceof PyIter) {
                List<Object> items = Py.toList(v);
                Collections.reverse(items);
                return items;
            }
            return new PyIter(v instanceof Map ? "dict_reversekeyiterator" : "list_reverseiterator",
                    reversed(v));
        });
        define("slice", (in, v, a, k) -> {
            Object[] b = bind("sync_do_slice", a, k, p("slices", "fill_with"), REQ, null);
            List<Object> seq = Py.toList(v);
            long slices = Py.toLong(b[0]);
            List<Object> out = new ArrayList<>();
            int per = (int) (seq.size() / slices);
            int extra = (int) (seq.size() % slices);
            int offset = 0;
            for (int n = 0; n < slices; n++) {
                int start = offset + n * per;
                if (n < extra) {
                    offset++;
                }
                int end = offset + (n + 1) * per;
                List<Object> tmp = new ArrayList<>(seq.subList(start, end));
                if (b[1] != null && n >= extra) {
                    tmp.add(b[1]);
                }
                out.add(tmp);
            }
            return generator(out.iterator());
        });
        define("sort", (in, v, a, k) -> {
            Object[] b = bind("do_sort", a, k, p("reverse", "case_sensitive", "attribute"), false, false, null);
            boolean cs = Py.truthy(b[1]);
            List<Function<Object, Object>> keys = new ArrayList<>();
            if (b[2] instanceof String attrs) {
                for (String attr : attrs.split(",", -1)) {
                    keys.add(attrGetter(attr, null, !cs));
                }
            } else {
                keys.add(attrGetter(b[2], null, !cs));
            }
            Function<Object, Object> key = item -> {
                List<Object> parts = new ArrayList<>();
                keys.forEach(f -> parts.add(f.apply(item)));
                return parts;
            };
            return sorted(Py.toList(v), key, Py.truthy(b[0]));
        });
        define("sum", (in, v, a, k) -> {
            Object[] b = bind("sync_do_sum", a, k, p("attribute", "start"), null, 0L);
            Function<Object, Object> get = b[0] == null ? Function.identity() : attrGetter(b[0], null, false);
            Object total = b[1];
            if (Py.isString(total)) {
                throw Py.typeError("sum() can't sum strings [use ''.join(seq) instead]");
            }
            for (Iterator<Object> it = Py.iterate(v); it.hasNext(); ) {
                total = PyOps.binary("+", total, get.apply(it.next()));
            }
            return total;
        });
        define("unique", (in, v, a, k) -> {
            Object[] b = bind("sync_do_unique", a, k, p("case_sensitive", "attribute"), false, null);
            Function<Object, Object> key = attrGetter(b[1], null, !Py.truthy(b[0]));
            Iterator<Object> src = Py.iterate(v);
            List<Object> seen = new ArrayList<>();
            return generator(new Gen() {
                Object produce() {
                    while (src.hasNext()) {
                        Object item = src.next();
                        Object kv = key.apply(item);
                        if (seen.stream().noneMatch(s -> Py.eq(s, kv))) {
                            seen.add(kv);
                            return item;
                        }
                    }
                    return finish();
                }
            });
        });
    }

    /** Jinja2's attribute getter: dotted path, digit parts as indexes, optional default. */
    static Function<Object, Object> attrGetter(Object attribute, Object dflt, boolean lowerCase) {
        List<Object> parts = new ArrayList<>();
        if (Py.isString(attribute)) {
            for (String part : Py.str(attribute).split("\\.", -1)) {
                parts.add(!part.isEmpty() && part.chars().allMatch(Character::isDigit)
                        ? (Object) Long.parseLong(part) : part);
            }
        } else if (attribute != null) {
            parts.add(attribute);
        }
        return item -> {
            for (Object part : parts) {
                item = Access.getitem(item, part);
                if (dflt != null && item instanceof Undefined) {
                    item = dflt;
                }
            }
            return lowerCase ? ignoreCase(item) : item;
        };
    }

    private static PyIter generator(Iterator<?> it) {
        return new PyIter("generator", it);
    }

    /** A lazily-evaluated generator body, like a Python generator function. */
    private abstract static class Gen implements Iterator<Object> {
        private Object next;
        private boolean ready;
        private boolean done;

        /** Produces the next item or calls {@link #finish()}. */
        abstract Object produce();

        protected Object finish() {
            done = true;
            return null;
        }

        @Override
        public boolean hasNext() {
            if (!ready && !done) {
                Object v = produce();
                if (!done) {
                    next = v;
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
            return next;
        }
    }

    /** A {@code groupby} result: a 2-tuple that also has {@code grouper} and {@code list}. */
    static final class GroupTuple extends PyTuple implements Access.HasAttrs {
        GroupTuple(Object grouper, List<Object> list) {
            super(grouper, list);
        }

        @Override
        public Object attr(String name) {
            return switch (name) {
                case "grouper" -> get(0);
                case "list" -> get(1);
                default -> Access.MISSING;
            };
        }
    }

    private static Iterator<Object> reversed(Object v) {
        if (v instanceof Undefined) {
            return Collections.emptyIterator();
        }
        if (v instanceof PyIter || v instanceof DictView) {
            throw Py.typeError("'" + Py.typeName(v) + "' object is not reversible");
        }
        List<Object> items = Py.toList(v);
        Collections.reverse(items);
        return items.iterator();
    }

    private static List<Object> sorted(List<Object> items, Function<Object, Object> key,
            boolean reverse) {
        List<Object[]> decorated = new ArrayList<>();
        for (Object item : items) {
            decorated.add(new Object[] {key.apply(item), item});
        }
        Comparator<Object[]> cmp = (x, y) -> Py.compare(x[0], y[0], "<");
        decorated.sort(reverse ? cmp.reversed() : cmp);
        List<Object> out = new ArrayList<>();
        decorated.forEach(d -> out.add(d[1]));
        return out;
    }

    private static Object minMax(Object v, List<Object> a, Map<String, Object> k, boolean max) {
        Object[] b = bind(max ? "do_max" : "do_min", a, k, p("case_sensitive", "attribute"), false, null);
        Function<Object, Object> key = attrGetter(b[1], null, !Py.truthy(b[0]));
        Iterator<Object> it = Py.iterate(v);
        if (!it.hasNext()) {
            return Undefined.hint("No aggregated item, sequence was empty.");
        }
        Object best = it.next();
        Object bestKey = key.apply(best);
        while (it.hasNext()) {
            Object item = it.next();
            Object kv = key.apply(item);
            int c = Py.compare(kv, bestKey, max ? ">" : "<");
            if (max ? c > 0 : c < 0) {
                best = item;
                bestKey = kv;
            }
        }
        return best;
    }

    private static Function<Object, Object> mapFunction(Interpreter in, List<Object> a,
            Map<String, Object> k) {
        if (a.isEmpty() && k.containsKey("attribute")) {
            Map<String, Object> rest = new LinkedHashMap<>(k);
            Object attribute = rest.remove("attribute");
            Object dflt = rest.remove("default");
            if (!rest.isEmpty()) {
                throw new TemplateException("FilterArgumentError: Unexpected keyword argument '"
                        + rest.keySet().iterator().next() + "'");
            }
            return attrGetter(attribute, dflt, false);
        }
        if (a.isEmpty()) {
            throw new TemplateException("FilterArgumentError: map requires a filter argument");
        }
        String name = Py.str(a.get(0));
        List<Object> rest = a.subList(1, a.size());
        return item -> apply(in, name, item, rest, k);
    }

    private static Object selectOrReject(Interpreter in, Object v, List<Object> a,
            Map<String, Object> k, boolean select, boolean lookupAttr) {
        boolean nonEmpty = Py.truthy(v);
        Iterator<Object> src = nonEmpty ? Py.iterate(v) : Collections.emptyIterator();
        Function<Object, Object> transform = Function.identity();
        int off = 0;
        if (lookupAttr && nonEmpty) {
            if (a.isEmpty()) {
                throw new TemplateException("FilterArgumentError: Missing parameter for attribute name");
            }
            transform = attrGetter(a.get(0), null, false);
            off = 1;
        }
        Function<Object, Object> tf = transform;
        Function<Object, Boolean> test;
        if (a.size() > off) {
            String name = Py.str(a.get(off));
            List<Object> rest = a.subList(off + 1, a.size());
            test = x -> Py.truthy(JinjaTests.apply(in, name, x, rest, k));
        } else {
            test = Py::truthy;
        }
        return generator(new Gen() {
            Object produce() {
                while (src.hasNext()) {
                    Object item = src.next();
                    if (test.apply(tf.apply(item)) == select) {
                        return item;
                    }
                }
                return finish();
            }
        });
    }
}
