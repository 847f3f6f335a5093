package dev.groupflow.jinja;

import java.util.Iterator;

/**
 * A one-shot Python iterator or generator (what {@code select}, {@code map}, {@code reverse}...
 * return in Jinja2): always truthy, has no length, and is exhausted after one pass.
 */
final class PyIter implements Iterator<Object> {
    final String kind;
    private final Iterator<?> source;

    PyIter(String kind, Iterator<?> source) {
        this.kind = kind;
        this.source = source;
    }

    @Override
    public boolean hasNext() {
        return source.hasNext();
    }

    @Override
    public Object next() {
        return source.next();
    }

    @Override
    public String toString() {
        return "<" + kind + " object>";
    }
}
