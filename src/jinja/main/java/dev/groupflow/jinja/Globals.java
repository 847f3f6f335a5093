package dev.groupflow.jinja;

import dev.groupflow.jinja.LoopContext.Builtin;
import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The global functions a Hugging Face chat template sees: Jinja2's defaults ({@code range},
 * {@code dict}, {@code namespace}, {@code cycler}, {@code joiner}, {@code lipsum}) plus Hugging
 * Face's {@code raise_exception} and {@code strftime_now}. Python builtins Jinja2 does not expose (such as
 * {@code len}) are deliberately absent.
 */
final class Globals {
    private Globals() {}

    static final Map<String, Object> BUILTINS = Map.of(
            "range", new Builtin("range", (in, args, kw) -> range(args)),
            "dict", new Builtin("dict", (in, args, kw) -> dict(args, kw)),
            "namespace", new Builtin("namespace", (in, args, kw) -> {
                Namespace ns = new Namespace();
                dict(args, kw).forEach((k, v) -> ns.attrs.put(Py.str(k), v));
                return ns;
            }),
            "joiner", new Builtin("joiner", (in, args, kw) -> joiner(args, kw)),
            "cycler", new Builtin("cycler", (in, args, kw) -> new Cycler(args)),
            "lipsum", new Builtin("generate_lorem_ipsum", (in, args, kw) -> Lipsum.generate(in.random(),
                    Py.toLong(Methods.arg(args, kw, 0, "n", 5L)),
                    Py.truthy(Methods.arg(args, kw, 1, "html", true)),
                    Py.toLong(Methods.arg(args, kw, 2, "min", 20L)),
                    Py.toLong(Methods.arg(args, kw, 3, "max", 100L)))),
            "raise_exception", new Builtin("raise_exception", (in, args, kw) -> {
                Object message = Methods.arg(args, kw, 0, "message", Methods.REQUIRED);
                if (message == Methods.REQUIRED) {
                    throw Py.typeError("raise_exception() missing 1 required positional argument: 'message'");
                }
                throw new TemplateRaisedException(Py.str(message));
            }),
            "strftime_now", new Builtin("strftime_now", (in, args, kw) -> {
                Object format = Methods.arg(args, kw, 0, "format", Methods.REQUIRED);
                if (!Py.isString(format)) {
                    throw Py.typeError("strftime_now() argument 'format' must be str");
                }
                return Strftime.format(LocalDateTime.now(in.clock), Py.str(format));
            }));

    private static Object range(List<Object> args) {
        if (args.isEmpty() || args.size() > 3) {
            throw Py.typeError("range expected at most 3 arguments, got " + args.size());
        }
        long[] v = new long[args.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = Py.toLong(args.get(i));
        }
        return switch (v.length) {
            case 1 -> new PyRange(0, v[0], 1);
            case 2 -> new PyRange(v[0], v[1], 1);
            default -> new PyRange(v[0], v[1], v[2]);
        };
    }

    /** Python's {@code dict(mapping_or_pairs, **kwargs)}. */
    static Map<Object, Object> dict(List<Object> args, Map<String, Object> kwargs) {
        if (args.size() > 1) {
            throw Py.typeError("dict expected at most 1 argument, got " + args.size());
        }
        Map<Object, Object> out = new LinkedHashMap<>();
        if (!args.isEmpty()) {
            Object src = args.get(0);
            if (src instanceof Map<?, ?> m) {
                m.forEach((k, v) -> Interpreter.putKey(out, k, v));
            } else {
                for (var it = Py.iterate(src); it.hasNext(); ) {
                    List<Object> pair = Py.toList(it.next());
                    if (pair.size() != 2) {
                        throw new TemplateException("ValueError: dictionary update sequence element has length "
                                + pair.size() + "; 2 is required");
                    }
                    Interpreter.putKey(out, pair.get(0), pair.get(1));
                }
            }
        }
        out.putAll(kwargs);
        return out;
    }

    private static Object joiner(List<Object> args, Map<String, Object> kw) {
        String sep = Py.str(Methods.arg(args, kw, 0, "sep", ", "));
        boolean[] used = {false};
        return new Builtin("joiner", (in, a, k) -> {
            if (!used[0]) {
                used[0] = true;
                return "";
            }
            return sep;
        });
    }

    /** Jinja2's {@code cycler}: {@code next()}, {@code reset()} and {@code current}. */
    static final class Cycler implements Access.HasAttrs {
        private final List<Object> items;
        private int pos;

        Cycler(List<Object> items) {
            if (items.isEmpty()) {
                throw new TemplateException("RuntimeError: at least one item has to be provided");
            }
            this.items = List.copyOf(items.stream().map(o -> o == null ? NULL : o).toList());
        }

        private static final Object NULL = new Object();

        private Object at(int i) {
            Object o = items.get(i);
            return o == NULL ? null : o;
        }

        @Override
        public Object attr(String name) {
            return switch (name) {
                case "current" -> at(pos);
                case "next" -> new Builtin("next", (in, a, k) -> {
                    Object rv = at(pos);
                    pos = (pos + 1) % items.size();
                    return rv;
                });
                case "reset" -> new Builtin("reset", (in, a, k) -> {
                    pos = 0;
                    return null;
                });
                default -> Access.MISSING;
            };
        }
    }
}
