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
 * {@code eval.json} and {@code checkpoints/}. Lines are appended and flushed one at a time, so a reader (or a
 * crash) never sees half a line. Thread-safe.
 */
public final class RunFiles implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private final Path dir;
    private final BufferedWriter metrics;
    private final BufferedWriter completions;

    public RunFiles(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir.resolve("checkpoints"));
            metrics = Files.newBufferedWriter(dir.resolve("metrics.jsonl"), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            completions = Files.newBufferedWriter(dir.resolve("completions.jsonl"), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the run directory " + dir + ": " + e.getMessage(), e);
        }
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

    /** Writes {@code eval.json} (atomically). */
    public void eval(Map<String, Object> result) {
        try {
            write(dir.resolve("eval.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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
        } catch (IOException ignored) {
            // closing at the end of a run
        }
    }
}
