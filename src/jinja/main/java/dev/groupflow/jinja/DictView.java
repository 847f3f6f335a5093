package dev.groupflow.jinja;

import java.util.Iterator;
import java.util.Map;

/** The result of {@code dict.keys()}, {@code values()} or {@code items()}: a live, re-iterable view. */
record DictView(String kind, Map<Object, Object> map) implements Iterable<Object> {
    @Override
    public Iterator<Object> iterator() {
        Iterator<Map.Entry<Object, Object>> it = map.entrySet().iterator();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public Object next() {
                Map.Entry<Object, Object> e = it.next();
                return switch (kind) {
                    case "keys" -> e.getKey();
                    case "values" -> e.getValue();
                    default -> new PyTuple(e.getKey(), e.getValue());
                };
            }
        };
    }
}
