package dev.groupflow.metrics;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads run files of one JSON object per line ({@code metrics.jsonl}, {@code eval.jsonl}) the way a chart needs
 * them: a line that is not a complete JSON object (a torn last line after a crash, or one being written right
 * now) is skipped, and lines are ordered by their {@code step}, the last line of a step winning.
 */
public final class JsonLines {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonLines() {
    }

    /** The file's complete JSON objects, in file order; an absent file has none. */
    public static List<JsonNode> read(Path file) {
        if (!Files.isRegularFile(file)) {
            return List.of();
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        List<JsonNode> out = new ArrayList<>(lines.size());
        for (String line : lines) {
            JsonNode n = parse(line);
            if (n != null) {
                out.add(n);
            }
        }
        return out;
    }

    /** One object per step (lines without a numeric step are left out), ordered by step. */
    public static List<JsonNode> byStep(List<JsonNode> lines) {
        Map<Long, JsonNode> steps = new TreeMap<>();
        for (JsonNode n : lines) {
            if (n.path("step").isNumber()) {
                steps.put(n.get("step").asLong(), n);
            }
        }
        return new ArrayList<>(steps.values());
    }

    private static JsonNode parse(String line) {
        if (line.isBlank()) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(line);
            return n != null && n.isObject() ? n : null;
        } catch (JsonProcessingException torn) {
            return null;
        }
    }

    /** The finite number at the path of field names (one name for a top-level field), else NaN. */
    public static double number(JsonNode line, String... path) {
        JsonNode n = line;
        for (String part : path) {
            n = n.path(part);
        }
        return n.isNumber() && Double.isFinite(n.asDouble()) ? n.asDouble() : Double.NaN;
    }
}
