package dev.groupflow.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A run's held-out evaluations as the dashboard shows them: the lines of {@code eval.jsonl} (mean reward, pass@k,
 * maj@k, each with its interval), one per step. The file is the record (the evaluation appends to it, from any
 * thread or process); this reads it again only when its size or modification time changed, so the status the
 * dashboard sends every second costs two file attributes, not a parse.
 */
final class EvalHistory {
    private final Path file;
    private long size = -1;
    private long modified = -1;
    private List<JsonNode> lines = List.of();

    EvalHistory(Path file) {
        this.file = file;
    }

    /** The evaluations so far, by step (a torn last line is left out); none before the first. */
    synchronized List<JsonNode> lines() {
        long s;
        long m;
        try {
            s = Files.size(file);
            m = Files.getLastModifiedTime(file).toMillis();
        } catch (IOException e) {
            return List.of(); // no evaluation yet
        }
        if (s != size || m != modified) {
            lines = JsonLines.byStep(JsonLines.read(file));
            size = s;
            modified = m;
        }
        return lines;
    }
}
