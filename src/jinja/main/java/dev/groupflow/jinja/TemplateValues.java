package dev.groupflow.jinja;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Converts Java and Jackson values to the template value model: {@code String}, {@code Long},
 * {@code Double}, {@code Boolean}, {@code null} (Python None), {@code List} and insertion-ordered
 * {@code Map}. Rendering converts its inputs with {@link #fromJava(Object)} itself, so callers
 * only need these helpers to pre-convert data they render many times.
 */
public final class TemplateValues {
    private TemplateValues() {}

    /** Converts a Jackson tree (objects keep their field order; numbers become Long or Double). */
    public static Object fromJson(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isIntegralNumber()) {
            if (!node.canConvertToLong()) {
                throw new IllegalArgumentException("integer " + node.asText() + " does not fit in 64 bits");
            }
            return node.longValue();
        }
        if (node.isNumber()) {
            return node.doubleValue();
        }
        if (node.isArray()) {
            List<Object> out = new ArrayList<>(node.size());
            node.forEach(child -> out.add(fromJson(child)));
            return out;
        }
        if (node.isObject()) {
            Map<Object, Object> out = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                out.put(e.getKey(), fromJson(e.getValue()));
            }
            return out;
        }
        if (node.isBinary() || node.isPojo()) {
            throw new IllegalArgumentException("unsupported JSON node type " + node.getNodeType());
        }
        return node.asText();
    }

    /**
     * Deep-converts a Java value: any integral number to Long, other numbers to Double, character
     * sequences to String, maps to ordered maps, collections/iterables/arrays to lists, Jackson
     * nodes via {@link #fromJson}, {@code Optional} to its content or None, enums to their name.
     *
     * @throws IllegalArgumentException for values with no template equivalent
     */
    public static Object fromJava(Object value) {
        return convert(value, 0);
    }

    private static Object convert(Object value, int depth) {
        if (depth > Interpreter.MAX_NESTING) {
            throw new IllegalArgumentException("value nested more than " + Interpreter.MAX_NESTING
                    + " levels deep (cyclic?)");
        }
        if (value == null || value instanceof String || value instanceof Boolean
                || value instanceof Long || value instanceof Double || value instanceof Markup
                || value instanceof PyTuple || value instanceof PyRange || value instanceof Namespace
                || value instanceof PyCallable || value instanceof Undefined) {
            return value;
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte
                || value instanceof AtomicInteger
                || value instanceof AtomicLong) {
            return ((Number) value).longValue();
        }
        if (value instanceof BigInteger b) {
            try {
                return b.longValueExact();
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("integer " + b + " does not fit in 64 bits");
            }
        }
        if (value instanceof Float || value instanceof BigDecimal) {
            return ((Number) value).doubleValue();
        }
        if (value instanceof CharSequence || value instanceof Character) {
            return value.toString();
        }
        if (value instanceof Enum<?> e) {
            return e.name();
        }
        if (value instanceof Optional<?> o) {
            return convert(o.orElse(null), depth + 1);
        }
        if (value instanceof JsonNode node) {
            return fromJson(node);
        }
        if (value instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                out.put(convert(e.getKey(), depth + 1), convert(e.getValue(), depth + 1));
            }
            return out;
        }
        if (value instanceof Iterable<?> it) {
            List<Object> out = new ArrayList<>();
            for (Object o : it) {
                out.add(convert(o, depth + 1));
            }
            return out;
        }
        if (value instanceof Object[] arr) {
            List<Object> out = new ArrayList<>(arr.length);
            for (Object o : arr) {
                out.add(convert(o, depth + 1));
            }
            return out;
        }
        throw new IllegalArgumentException("unsupported template value type "
                + value.getClass().getName());
    }
}
