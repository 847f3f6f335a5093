package dev.groupflow.jinja;

import java.util.AbstractList;
import java.util.RandomAccess;

/** Python's {@code range} object: a lazy immutable sequence printed as {@code range(a, b)}. */
final class PyRange extends AbstractList<Object> implements RandomAccess {
    final long start;
    final long stop;
    final long step;
    private final int size;

    PyRange(long start, long stop, long step) {
        if (step == 0) {
            throw new TemplateException("ValueError: range() arg 3 must not be zero");
        }
        this.start = start;
        this.stop = stop;
        this.step = step;
        long n;
        if (step > 0) {
            n = start < stop ? (stop - start - 1) / step + 1 : 0;
        } else {
            n = start > stop ? (start - stop - 1) / (-step) + 1 : 0;
        }
        if (n > Interpreter.MAX_RANGE) {
            throw new TemplateException("OverflowError: Range too big. The sandbox blocks ranges larger"
                    + " than MAX_RANGE (" + Interpreter.MAX_RANGE + ").");
        }
        this.size = (int) n;
    }

    @Override
    public Object get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException(index);
        }
        return start + index * step;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PyRange r && r.size == size
                && (size == 0 || (r.start == start && (size == 1 || r.step == step)));
    }

    @Override
    public int hashCode() {
        return size;
    }

    @Override
    public String toString() {
        return "range(" + start + ", " + stop + (step == 1 ? "" : ", " + step) + ")";
    }
}
