package dev.groupflow.jinja;

import java.util.LinkedHashMap;
import java.util.Map;

/** Jinja2's {@code namespace()} object: attributes that {@code set ns.attr = ...} may change. */
final class Namespace {
    final Map<String, Object> attrs = new LinkedHashMap<>();

    @Override
    public String toString() {
        Map<Object, Object> copy = new LinkedHashMap<>(attrs);
        return "<Namespace " + Py.repr(copy) + ">";
    }
}
