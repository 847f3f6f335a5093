package dev.groupflow.metrics;

import java.io.PrintStream;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code log.json = true}: each metrics line printed as one JSON line (for log collectors), the same object as
 * in {@code metrics.jsonl}. Register it with {@code StepReporter.addListener}.
 */
public final class JsonLogLines implements Consumer<Map<String, Object>> {
    private final PrintStream out;

    public JsonLogLines(PrintStream out) {
        this.out = out;
    }

    @Override
    public void accept(Map<String, Object> line) {
        String text = Json.write(line);
        synchronized (out) {
            out.println(text);
            out.flush();
        }
    }
}
