package dev.groupflow.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Prompts from a JSONL file: one JSON object per line with {@code "prompt"} (text) or {@code "messages"} (a list
 * of {@code {"role", "content"}}), optionally {@code "answer"} (string or number), {@code "metadata"} (object) and
 * {@code "id"}. Blank lines are ignored.
 *
 * <p>The file is scanned once to validate every row and remember where each valid row starts; rows are read back
 * one at a time when they are needed, so the prompts themselves are never all in memory. Invalid rows are
 * collected as {@link BadRow}s with their line number and the field at fault. Each epoch visits every valid row
 * once, in an order shuffled by (seed, epoch) when {@code shuffle} is on.
 */
public final class JsonlPrompts implements PromptSource, AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final long[] offsets;  // byte offset of each valid row
    private final int[] lengths;   // byte length of each valid row
    private final long[] lines;    // 1-based line number of each valid row
    private final List<BadRow> badRows;
    private final long totalRows;
    private final int epochs;
    private final boolean shuffle;
    private final long seed;
    private final RandomAccessFile reader;
    private long permutationEpoch = -1;
    private int[] permutation;

    private JsonlPrompts(Path file, long[] offsets, int[] lengths, long[] lines, List<BadRow> badRows, long totalRows,
                         int epochs, boolean shuffle, long seed) throws IOException {
        this.file = file;
        this.offsets = offsets;
        this.lengths = lengths;
        this.lines = lines;
        this.badRows = List.copyOf(badRows);
        this.totalRows = totalRows;
        this.epochs = epochs;
        this.shuffle = shuffle;
        this.seed = seed;
        this.reader = new RandomAccessFile(file.toFile(), "r");
    }

    /** Scans and validates the file. */
    public static JsonlPrompts open(Path file, int epochs, boolean shuffle, long seed) {
        List<Long> offsets = new ArrayList<>();
        List<Integer> lengths = new ArrayList<>();
        List<Long> lineNumbers = new ArrayList<>();
        List<BadRow> bad = new ArrayList<>();
        long rows = 0;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            long offset = 0;
            long lineStart = 0;
            long lineNo = 1;
            int b;
            while (true) {
                b = in.read();
                if (b == '\n' || b == -1) {
                    byte[] bytes = line.toByteArray();
                    String text = new String(bytes, StandardCharsets.UTF_8);
                    if (!text.isBlank()) {
                        rows++;
                        String problem = validate(text);
                        if (problem == null) {
                            offsets.add(lineStart);
                            lengths.add(bytes.length);
                            lineNumbers.add(lineNo);
                        } else {
                            bad.add(new BadRow(lineNo, problem, text));
                        }
                    }
                    if (b == -1) {
                        break;
                    }
                    line.reset();
                    offset++;
                    lineStart = offset;
                    lineNo++;
                } else {
                    line.write(b);
                    offset++;
                }
            }
            return new JsonlPrompts(file, offsets.stream().mapToLong(Long::longValue).toArray(),
                    lengths.stream().mapToInt(Integer::intValue).toArray(),
                    lineNumbers.stream().mapToLong(Long::longValue).toArray(), bad, rows, epochs, shuffle, seed);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read prompts file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Null when the row is usable, else what is wrong with it (naming the field). */
    static String validate(String text) {
        JsonNode row;
        try {
            row = JSON.readTree(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            String m = e.getOriginalMessage() == null ? String.valueOf(e.getMessage()) : e.getOriginalMessage();
            return "not valid JSON: " + m.lines().findFirst().orElse(m);
        }
        if (row == null || !row.isObject()) {
            return "expected a JSON object";
        }
        JsonNode prompt = row.get("prompt");
        JsonNode messages = row.get("messages");
        if ((prompt == null || prompt.isNull()) == (messages == null || messages.isNull())) {
            return "field 'prompt' or 'messages': exactly one of them is required";
        }
        if (prompt != null && !prompt.isNull()) {
            if (!prompt.isTextual() || prompt.asText().isEmpty()) {
                return "field 'prompt': expected a non-empty string";
            }
        } else {
            if (!messages.isArray() || messages.isEmpty()) {
                return "field 'messages': expected a non-empty list";
            }
            for (int i = 0; i < messages.size(); i++) {
                JsonNode m = messages.get(i);
                if (!m.isObject()) {
                    return "field 'messages[" + i + "]': expected an object with role and content";
                }
                if (!m.path("role").isTextual()) {
                    return "field 'messages[" + i + "].role': expected a string";
                }
                if (!m.path("content").isTextual()) {
                    return "field 'messages[" + i + "].content': expected a string";
                }
            }
        }
        JsonNode answer = row.get("answer");
        if (answer != null && !answer.isNull() && !answer.isValueNode()) {
            return "field 'answer': expected a string or a number";
        }
        JsonNode metadata = row.get("metadata");
        if (metadata != null && !metadata.isNull() && !metadata.isObject()) {
            return "field 'metadata': expected an object";
        }
        JsonNode id = row.get("id");
        if (id != null && !id.isNull() && !id.isValueNode()) {
            return "field 'id': expected a string or a number";
        }
        return null;
    }

    /** Valid rows. */
    public int size() {
        return offsets.length;
    }

    /** Non-blank lines, valid or not. */
    public long totalRows() {
        return totalRows;
    }

    public List<BadRow> badRows() {
        return badRows;
    }

    public Path file() {
        return file;
    }

    @Override
    public boolean exhausted(long n) {
        return offsets.length == 0 || (epochs > 0 && n >= (long) epochs * offsets.length);
    }

    @Override
    public synchronized Prompt at(long n) {
        if (exhausted(n)) {
            throw new IllegalArgumentException("prompt " + n + " is past the end of " + file);
        }
        long epoch = n / offsets.length;
        int i = (int) (n % offsets.length);
        int row = shuffle ? permutation(epoch)[i] : i;
        return read(row);
    }

    private int[] permutation(long epoch) {
        if (epoch != permutationEpoch) {
            int[] p = new int[offsets.length];
            for (int i = 0; i < p.length; i++) {
                p[i] = i;
            }
            SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
            for (int i = p.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
            permutation = p;
            permutationEpoch = epoch;
        }
        return permutation;
    }

    private Prompt read(int row) {
        try {
            byte[] bytes = new byte[lengths[row]];
            reader.seek(offsets[row]);
            reader.readFully(bytes);
            JsonNode n = JSON.readTree(bytes);
            String id = n.hasNonNull("id") ? n.get("id").asText() : file.getFileName() + ":" + lines[row];
            String answer = n.hasNonNull("answer") ? n.get("answer").asText() : null;
            Map<String, Object> metadata = n.hasNonNull("metadata")
                    ? JSON.convertValue(n.get("metadata"), LINKED_MAP) : Map.of();
            if (n.hasNonNull("prompt")) {
                return new Prompt(id, n.get("prompt").asText(), null, answer, metadata);
            }
            List<Map<String, String>> messages = new ArrayList<>();
            for (Iterator<JsonNode> it = n.get("messages").elements(); it.hasNext(); ) {
                JsonNode m = it.next();
                Map<String, String> msg = new LinkedHashMap<>();
                msg.put("role", m.get("role").asText());
                msg.put("content", m.get("content").asText());
                messages.add(msg);
            }
            return new Prompt(id, null, messages, answer, metadata);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ":" + lines[row] + ": cannot be read back (was the file changed "
                    + "while the run uses it?): " + e.getMessage(), e);
        }
    }

    private static final com.fasterxml.jackson.core.type.TypeReference<LinkedHashMap<String, Object>> LINKED_MAP =
            new com.fasterxml.jackson.core.type.TypeReference<>() {
            };

    @Override
    public String describe() {
        return file + " (" + offsets.length + " prompts" + (badRows.isEmpty() ? "" : ", " + badRows.size() + " bad rows")
                + (epochs > 0 ? ", " + epochs + " epoch(s)" : ", endless") + (shuffle ? ", shuffled" : "") + ")";
    }

    @Override
    public void close() {
        try {
            reader.close();
        } catch (IOException ignored) {
            // closing a read-only file
        }
    }
}
