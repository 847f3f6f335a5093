package dev.groupflow.metrics;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * The files of a run directory: {@code config.conf} (the resolved configuration), {@code metrics.jsonl} (one line
 * per learner step), {@code completions.jsonl} (a sample of prompts, completions, rewards and advantages),
 * {@code eval.json} (the last held-out evaluation), {@code eval.jsonl} (every one, with its step) and
 * {@code checkpoints/}. Lines are appended and flushed one at a time, so a reader (or a
 * crash) never sees half a line. Thread-safe.
 */
public final class RunFiles implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private final Path dir;
    private BufferedWriter metrics;
    private BufferedWriter completions;
    private BufferedWriter ledger;

    public RunFiles(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir.resolve("checkpoints"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the run directory " + dir + ": " + e.getMessage(), e);
        }
        open();
    }

    private void open() {
        metrics = appender("metrics.jsonl");
        completions = appender("completions.jsonl");
        ledger = appender(LEDGER);
    }

    private BufferedWriter appender(String name) {
        try {
            return Files.newBufferedWriter(dir.resolve(name), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + dir.resolve(name) + ": " + e.getMessage(), e);
        }
    }

    /** The per-step ledger of trained (and dropped) prompt keys. */
    public static final String LEDGER = "ledger.jsonl";

    public Path ledgerFile() {
        return dir.resolve(LEDGER);
    }

    /** Appends a ledger line: {@code {"step": N, "trained": [...]}} or {@code {"step": N, "stale": [...]}}. */
    public synchronized void ledger(Map<String, Object> line) {
        append(ledger, line);
    }

    /**
     * Drops every line of metrics, completions and ledger whose step is after {@code step}: a resumed run repeats
     * those steps, so their lines must not be there twice. Lines that are not complete JSON are dropped too (a
     * crash can leave half a line).
     */
    public synchronized void truncateTo(long step) {
        close();
        for (String name : new String[] {"metrics.jsonl", "completions.jsonl", LEDGER, EVALS}) {
            Path f = dir.resolve(name);
            if (!Files.exists(f)) {
                continue;
            }
            try {
                java.util.List<String> kept = new java.util.ArrayList<>();
                for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                    try {
                        com.fasterxml.jackson.databind.JsonNode n = JSON.readTree(line);
                        if (n != null && n.path("step").asLong(Long.MAX_VALUE) <= step) {
                            kept.add(line);
                        }
                    } catch (IOException torn) {
                        // an incomplete last line from a crash
                    }
                }
                write(f, kept.isEmpty() ? "" : String.join("\n", kept) + "\n");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot rewrite " + f + ": " + e.getMessage(), e);
            }
        }
        open();
    }

    public Path dir() {
        return dir;
    }

    public Path checkpoints() {
        return dir.resolve("checkpoints");
    }

    public synchronized void writeConfig(String hocon) {
        write(dir.resolve("config.conf"), hocon);
    }

    public synchronized void metrics(Map<String, Object> line) {
        append(metrics, line);
    }

    public synchronized void completion(Map<String, Object> line) {
        append(completions, line);
    }

    /**
     * Writes the malformed rows of a prompts file to {@code quarantine.jsonl} (replacing an earlier one): file, line
     * number, reason and the row's text, and for a row that is not valid UTF-8 its bytes in base64
     * ({@code "bytes_base64"}), so nothing is lost. Returns the file.
     */
    public synchronized Path quarantine(Path source, java.util.List<dev.groupflow.data.BadRow> rows) {
        StringBuilder sb = new StringBuilder();
        try {
            for (dev.groupflow.data.BadRow b : rows) {
                Map<String, Object> line = new java.util.LinkedHashMap<>();
                line.put("file", source.toString());
                line.put("line", b.line());
                line.put("reason", b.reason());
                line.put("text", b.text());
                if (b.base64() != null) {
                    line.put("bytes_base64", b.base64());
                }
                sb.append(JSON.writeValueAsString(line)).append('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path f = dir.resolve("quarantine.jsonl");
        write(f, sb.toString());
        return f;
    }

    /** Writes {@code eval.json} (atomically). */
    public void eval(Map<String, Object> result) {
        try {
            write(dir.resolve("eval.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every held-out evaluation of the run, one line each, with its step. */
    public static final String EVALS = "eval.jsonl";

    /** Appends one evaluation to {@code eval.jsonl} (created on first use). */
    public synchronized void evalLine(Map<String, Object> result) {
        try {
            Files.writeString(dir.resolve(EVALS), JSON.writeValueAsString(result) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(EVALS) + ": " + e.getMessage(), e);
        }
    }

    private void append(BufferedWriter w, Map<String, Object> line) {
        try {
            w.write(JSON.writeValueAsString(line));
            w.write('\n');
            w.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void write(Path file, String text) {
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, text);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            metrics.close();
            completions.close();
            ledger.close();
        } catch (IOException ignored) {
            // closing at the end of a run
        }
    }
}
