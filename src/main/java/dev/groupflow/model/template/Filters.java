package dev.groupflow.model.template;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Jinja2's built-in filters with Jinja2's signatures and results, and Hugging Face's {@code tojson}
 * override. Filters that return generators in Jinja2 ({@code select}, {@code map}, {@code unique},
 * {@code reverse}...) return one-shot {@link PyIter}s here too, so {@code |list} or {@code |first}
 * behave the same and {@code |length} on them fails as it does in Python.
 */
final class Filters {
  private Filters() {}

  interface Impl {
    Object apply(Interpreter in, Object value, List<Object> args, Map<String, Object> kw);
  }

  private static final Map<String, Impl> ALL = new HashMap<>();
  private static final Object REQ = Methods.REQUIRED;

  static boolean exists(String name) {
    return ALL.containsKey(name);
  }

  static Object apply(Interpreter in, String name, Object value, List<Object> args,
      Map<String, Object> kw) {
    Impl f = ALL.get(name);
    if (f == null) {
      throw new TemplateException("TemplateRuntimeError: No filter named '" + name + "' found.");
    }
    return f.apply(in, value, args, kw);
  }

  /** Binds call arguments to parameter names (after the filtered value), Python style. */
  static Object[] bind(String fn, List<Object> args, Map<String, Object> kw, String[] names,
      Object... defaults) {
    if (args.size() > names.length) {
      int max = names.length + 1;
      throw Py.typeError(fn + "() takes " + max + " positional argument" + (max == 1 ? "" : "s")
          + " but " + (args.size() + 1) + " were given");
    }
    Object[] out = new Object[names.length];
    for (int i = 0; i < names.length; i++) {
      if (i < args.size()) {
        if (kw.containsKey(names[i])) {
          throw Py.typeError(fn + "() got multiple values for argument '" + names[i] + "'");
        }
        out[i] = args.get(i);
      } else if (kw.containsKey(names[i])) {
        out[i] = kw.get(names[i]);
      } else if (defaults[i] == REQ) {
        throw Py.typeError(fn + "() missing 1 required positional argument: '" + names[i] + "'");
      } else {
        out[i] = defaults[i];
      }
    }
    for (String k : kw.keySet()) {
      if (!List.of(names).contains(k)) {
        throw Py.typeError(fn + "() got an unexpected keyword argument '" + k + "'");
      }
    }
    return out;
  }

  private static String[] p(String... names) {
    return names;
  }

  private static void simple(String name, Function<Object, Object> f) {
    ALL.put(name, (in, v, a, k) -> {
      bind("do_" + name, a, k, p());
      return f.apply(v);
    });
  }

  private static String soft(Object v) {
    return Py.str(v);
  }

  static String htmlEscape(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> sb.append("&amp;");
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '"' -> sb.append("&#34;");
        case '\'' -> sb.append("&#39;");
        default -> sb.append(c);
      }
    }
    return sb.toString();
  }

  private static Object ignoreCase(Object v) {
    return v instanceof String s ? Strings.lower(s) : v;
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

  private static final Pattern WORD_BEGINNING = Pattern.compile("[-\\s({\\[<]+",
      Pattern.UNICODE_CHARACTER_CLASS);
  private static final Pattern WORD = Pattern.compile("\\w+", Pattern.UNICODE_CHARACTER_CLASS);
  private static final Pattern FLOAT_TEXT = Pattern.compile(
      "[+-]?(?:(?:\\d(?:_?\\d)*)(?:\\.(?:\\d(?:_?\\d)*)?)?|\\.\\d(?:_?\\d)*)(?:[eE][+-]?\\d(?:_?\\d)*)?"
      + "|[+-]?(?:inf|infinity|nan)", Pattern.CASE_INSENSITIVE);

  static {
    simple("abs", v -> {
      if (v instanceof Double d) {
        return Math.abs(d);
      }
      if (Py.isInt(v)) {
        return Math.abs(Py.toLong(v));
      }
      throw Py.typeError("bad operand type for abs(): '" + Py.typeName(v) + "'");
    });
    ALL.put("attr", (in, v, a, k) -> {
      Object[] b = bind("do_attr", a, k, p("name"), REQ);
      return Access.attribute(v, Py.str(b[0]));
    });
    ALL.put("batch", (in, v, a, k) -> {
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
    simple("capitalize", v -> Strings.capitalize(soft(v)));
    ALL.put("center", (in, v, a, k) -> {
      Object[] b = bind("do_center", a, k, p("width"), 80L);
      return Strings.center(soft(v), Py.toLong(b[0]), " ");
    });
    simple("count", Py::len);
    simple("length", Py::len);
    Impl dflt = (in, v, a, k) -> {
      Object[] b = bind("do_default", a, k, p("default_value", "boolean"), "", false);
      return v instanceof Undefined || (Py.truthy(b[1]) && !Py.truthy(v)) ? b[0] : v;
    };
    ALL.put("default", dflt);
    ALL.put("d", dflt);
    ALL.put("dictsort", (in, v, a, k) -> {
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
    Impl escape = (in, v, a, k) -> {
      bind("escape", a, k, p());
      return v instanceof Markup ? v : new Markup(htmlEscape(soft(v)));
    };
    ALL.put("escape", escape);
    ALL.put("e", escape);
    simple("forceescape", v -> new Markup(htmlEscape(soft(v))));
    simple("first", v -> {
      Iterator<Object> it = Py.iterate(v);
      return it.hasNext() ? it.next() : Undefined.hint("No first item, sequence was empty.");
    });
    simple("last", v -> {
      Iterator<Object> it = reversed(v);
      return it.hasNext() ? it.next() : Undefined.hint("No last item, sequence was empty.");
    });
    ALL.put("float", (in, v, a, k) -> {
      Object[] b = bind("do_float", a, k, p("default"), 0.0);
      Double d = toFloat(v);
      return d == null ? b[0] : d;
    });
    ALL.put("format", (in, v, a, k) -> {
      if (!a.isEmpty() && !k.isEmpty()) {
        throw new TemplateException("FilterArgumentError: can't handle positional and keyword"
            + " arguments at the same time");
      }
      Object values = k.isEmpty() ? new PyTuple(a.toArray()) : new LinkedHashMap<Object, Object>(k);
      return PyOps.percentFormat(soft(v), values);
    });
    ALL.put("groupby", (in, v, a, k) -> {
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
    ALL.put("indent", (in, v, a, k) -> {
      Object[] b = bind("do_indent", a, k, p("width", "first", "blank"), 4L, false, false);
      String indention = Py.isString(b[0]) ? Py.str(b[0]) : " ".repeat((int) Py.toLong(b[0]));
      List<Object> lines = Strings.splitlines(soft(v) + "\n", false);
      StringBuilder rv = new StringBuilder();
      if (Py.truthy(b[2])) {
        for (int i = 0; i < lines.size(); i++) {
          if (i > 0) {
            rv.append('\n').append(indention);
          }
          rv.append(lines.get(i));
        }
      } else {
        rv.append(lines.get(0));
        for (int i = 1; i < lines.size(); i++) {
          String line = (String) lines.get(i);
          rv.append('\n').append(line.isEmpty() ? "" : indention + line);
        }
      }
      return Py.truthy(b[1]) ? indention + rv : rv.toString();
    });
    ALL.put("int", (in, v, a, k) -> {
      Object[] b = bind("do_int", a, k, p("default", "base"), 0L, 10L);
      Long r = toInt(v, Py.toLong(b[1]));
      return r == null ? b[0] : r;
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
    ALL.put("join", (in, v, a, k) -> {
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
    simple("lower", v -> Strings.lower(soft(v)));
    simple("upper", v -> Strings.upper(soft(v)));
    ALL.put("map", (in, v, a, k) -> {
      Function<Object, Object> f = mapFunction(in, a, k);
      boolean nonEmpty = Py.truthy(v);
      Iterator<Object> src = nonEmpty ? Py.iterate(v) : Collections.emptyIterator();
      return generator(new Gen() {
        Object produce() {
          return src.hasNext() ? f.apply(src.next()) : finish();
        }
      });
    });
    ALL.put("max", (in, v, a, k) -> minMax(v, a, k, true));
    ALL.put("min", (in, v, a, k) -> minMax(v, a, k, false));
    ALL.put("reject", (in, v, a, k) -> selectOrReject(in, v, a, k, false, false));
    ALL.put("rejectattr", (in, v, a, k) -> selectOrReject(in, v, a, k, false, true));
    ALL.put("select", (in, v, a, k) -> selectOrReject(in, v, a, k, true, false));
    ALL.put("selectattr", (in, v, a, k) -> selectOrReject(in, v, a, k, true, true));
    ALL.put("replace", (in, v, a, k) -> {
      Object[] b = bind("do_replace", a, k, p("old", "new", "count"), REQ, REQ, null);
      return Methods.replace(soft(v), soft(b[0]), soft(b[1]), b[2] == null ? -1 : Py.toLong(b[2]));
    });
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
    ALL.put("round", (in, v, a, k) -> {
      Object[] b = bind("do_round", a, k, p("precision", "method"), 0L, "common");
      return round(v, Py.toLong(b[0]), Py.str(b[1]));
    });
    simple("safe", v -> v instanceof Markup ? v : new Markup(soft(v)));
    ALL.put("slice", (in, v, a, k) -> {
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
    ALL.put("sort", (in, v, a, k) -> {
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
    simple("string", v -> v instanceof Markup ? v : Py.str(v));
    ALL.put("sum", (in, v, a, k) -> {
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
    simple("title", v -> {
      StringBuilder sb = new StringBuilder();
      Matcher m = WORD_BEGINNING.matcher(soft(v));
      int last = 0;
      List<String> pieces = new ArrayList<>();
      while (m.find()) {
        pieces.add(soft(v).substring(last, m.start()));
        pieces.add(m.group());
        last = m.end();
      }
      pieces.add(soft(v).substring(last));
      for (String item : pieces) {
        if (!item.isEmpty()) {
          int n = Character.charCount(item.codePointAt(0));
          sb.append(Strings.upper(item.substring(0, n))).append(Strings.lower(item.substring(n)));
        }
      }
      return sb.toString();
    });
    ALL.put("tojson", (in, v, a, k) -> {
      Object[] b = bind("tojson", a, k, p("ensure_ascii", "indent", "separators", "sort_keys"),
          false, null, null, false);
      return Json.dumps(v, Py.truthy(b[0]), b[1], b[2], Py.truthy(b[3]));
    });
    ALL.put("trim", (in, v, a, k) -> {
      Object[] b = bind("do_trim", a, k, p("chars"), (Object) null);
      return Strings.strip(soft(v), b[0] == null ? null : soft(b[0]), true, true);
    });
    ALL.put("truncate", (in, v, a, k) -> {
      Object[] b = bind("do_truncate", a, k, p("length", "killwords", "end", "leeway"), 255L, false,
          "...", null);
      String s = soft(v);
      long length = Py.toLong(b[0]);
      String end = soft(b[2]);
      long leeway = b[3] == null ? 5 : Py.toLong(b[3]);
      if (length < Py.strLen(end)) {
        throw new TemplateException("AssertionError: expected length >= " + Py.strLen(end)
            + ", got " + length);
      }
      if (Py.strLen(s) <= length + leeway) {
        return s;
      }
      String head = s.substring(0, Strings.offset(s, length - Py.strLen(end)));
      if (Py.truthy(b[1])) {
        return head + end;
      }
      return Strings.rsplit(head, " ", 1).get(0) + end;
    });
    ALL.put("unique", (in, v, a, k) -> {
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
    simple("wordcount", v -> {
      Matcher m = WORD.matcher(soft(v));
      long n = 0;
      while (m.find()) {
        n++;
      }
      return n;
    });
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
        default -> null;
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
      test = x -> Py.truthy(Tests.apply(in, name, x, rest, k));
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

  private static Object round(Object v, long precision, String method) {
    if (!method.equals("common") && !method.equals("ceil") && !method.equals("floor")) {
      throw new TemplateException("FilterArgumentError: method must be common, ceil or floor");
    }
    if (!Py.isNumber(v)) {
      throw Py.typeError("type " + Py.typeName(v) + " doesn't define __round__ method");
    }
    if (method.equals("common")) {
      BigDecimal exact = v instanceof Double d ? new BigDecimal(d) : BigDecimal.valueOf(Py.toLong(v));
      if (v instanceof Double d && (d.isNaN() || d.isInfinite())) {
        return d;
      }
      BigDecimal r = exact.setScale((int) precision, RoundingMode.HALF_EVEN);
      if (v instanceof Double d) {
        return r.signum() == 0 ? Math.copySign(0.0, d) : r.doubleValue();
      }
      return r.longValue();
    }
    double scale = Math.pow(10, precision);
    double x = Py.toDouble(v) * scale;
    return (method.equals("ceil") ? Math.ceil(x) : Math.floor(x)) / scale;
  }

  /** Python's {@code float(v)}, or null where it raises TypeError/ValueError. */
  static Double toFloat(Object v) {
    if (v instanceof Undefined u) {
      throw u.error();
    }
    if (Py.isNumber(v)) {
      return Py.toDouble(v);
    }
    if (Py.isString(v)) {
      String s = Strings.strip(Py.str(v), null, true, true);
      if (!FLOAT_TEXT.matcher(s).matches()) {
        return null;
      }
      String lower = Strings.lower(s).replace("_", "");
      if (lower.endsWith("inf") || lower.endsWith("infinity")) {
        return lower.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
      }
      if (lower.endsWith("nan")) {
        return Double.NaN;
      }
      return Double.parseDouble(lower);
    }
    return null;
  }

  /** Jinja2's {@code int} filter conversion, or null when it would use the default. */
  static Long toInt(Object v, long base) {
    if (v instanceof Undefined u) {
      throw u.error();
    }
    if (Py.isInt(v)) {
      return Py.toLong(v);
    }
    if (v instanceof Double d) {
      if (d.isNaN() || d.isInfinite()) {
        return null;
      }
      if (Math.abs(d) >= 9.2e18) {
        throw new TemplateException("OverflowError: integer does not fit in 64 bits");
      }
      return (long) (double) d;
    }
    if (Py.isString(v)) {
      Long parsed = parseInt(Strings.strip(Py.str(v), null, true, true), base);
      if (parsed != null) {
        return parsed;
      }
      Double d = toFloat(v);
      return d == null ? null : toInt(d, 10);
    }
    return null;
  }

  private static Long parseInt(String s, long base) {
    String t = s;
    boolean neg = false;
    if (t.startsWith("+") || t.startsWith("-")) {
      neg = t.startsWith("-");
      t = t.substring(1);
    }
    String lower = Strings.lower(t);
    int radix = (int) base;
    if ((base == 16 || base == 0) && lower.startsWith("0x")) {
      radix = 16;
      t = t.substring(2);
    } else if ((base == 8 || base == 0) && lower.startsWith("0o")) {
      radix = 8;
      t = t.substring(2);
    } else if ((base == 2 || base == 0) && lower.startsWith("0b")) {
      radix = 2;
      t = t.substring(2);
    } else if (base == 0) {
      radix = 10;
      if (t.length() > 1 && t.startsWith("0") && !t.replace("_", "").matches("0+")) {
        return null;
      }
    } else if (t.startsWith("_")) {
      return null;
    }
    if (radix < 2 || radix > 36 || t.isEmpty() || t.endsWith("_") || t.contains("__")) {
      return null;
    }
    try {
      long n = Long.parseLong(t.replace("_", ""), radix);
      return neg ? -n : n;
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
