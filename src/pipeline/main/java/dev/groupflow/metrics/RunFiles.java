package dev.groupflow.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.groupflow.data.BadRow;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files of a run directory: {@code config.conf} (the resolved configuration), {@code metrics.jsonl} (one line
 * per learner step), {@code completions.jsonl} (a sample of prompts, completions, rewards and advantages),
 * {@code eval.json} (the last held-out evaluation), {@code eval.jsonl} (every one, with its step) and
 * {@code checkpoints/}. The JSONL files are appended to a whole line at a time ({@link LineAppender}: one write per
 * line, a failed write cut back), so a reader, a crash or a full disk never leaves half a line; when the run starts,
 * a torn last line an older process left is cut and reported. Thread-safe.
 */
public final class RunFiles implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
    private static final Logger LOG = LoggerFactory.getLogger(RunFiles.class);
    /** The files lines are appended to. */
    private static final List<String> APPENDED = List.of(RunFiles.METRICS, RunFiles.COMPLETIONS, RunFiles.LEDGER,
            RunFiles.EVALS, RunFiles.EVAL_EPISODES);

    private final Path dir;
    private final List<String> repairs = new ArrayList<>();
    private LineAppender metrics;
    private LineAppender completions;
    private LineAppender ledger;
    private LineAppender evals; // opened on the first evaluation
    private LineAppender evalEpisodes; // opened on an agent run's first evaluation

    public RunFiles(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir.resolve("checkpoints"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the run directory " + dir + ": " + e.getMessage(), e);
        }
        cutTornTails();
        open();
    }

    /** Cuts a last line without its line break from each appended file (a process died while writing it). */
    private void cutTornTails() {
        for (String name : APPENDED) {
            long cut = LineAppender.cutTornTail(dir.resolve(name));
            if (cut > 0) {
                String what = dir.resolve(name) + ": cut a torn last line of " + cut + " bytes (an earlier process "
                        + "stopped in the middle of writing it)";
                repairs.add(what);
                LOG.warn("{}", what);
            }
        }
    }

    /** What was repaired in the run files when they were opened (torn lines cut), one sentence each. */
    public synchronized List<String> repairs() {
        return List.copyOf(repairs);
    }

    private void open() {
        metrics = new LineAppender(dir.resolve(METRICS));
        completions = new LineAppender(dir.resolve(COMPLETIONS));
        ledger = new LineAppender(dir.resolve(LEDGER));
        evals = null;
        evalEpisodes = null;
    }

    public static final String METRICS = "metrics.jsonl";
    public static final String COMPLETIONS = "completions.jsonl";

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
     * Drops every line of metrics, completions, ledger and evaluations whose step is after {@code step}: a resumed
     * run repeats those steps, so their lines must not be there twice. Lines that are not complete JSON are dropped
     * too, and reported.
     */
    public synchronized void truncateTo(long step) {
        close();
        for (String name : APPENDED) {
            Path f = dir.resolve(name);
            if (!Files.exists(f)) {
                continue;
            }
            try {
                List<String> kept = new ArrayList<>();
                List<Integer> broken = new ArrayList<>();
                String[] lines = new String(Files.readAllBytes(f), StandardCharsets.UTF_8).split("\n");
                for (int i = 0; i < lines.length; i++) {
                    if (lines[i].isEmpty()) {
                        continue;
                    }
                    try {
                        JsonNode n = JSON.readTree(lines[i]);
                        if (n != null && n.path("step").asLong(Long.MAX_VALUE) <= step) {
                            kept.add(lines[i]);
                        }
                    } catch (IOException torn) {
                        broken.add(i + 1);
                    }
                }
                if (!broken.isEmpty()) {
                    String what = f + ": removed " + broken.size() + " line(s) that are not complete JSON (line(s) "
                            + broken.subList(0, Math.min(10, broken.size())) + ")";
                    repairs.add(what);
                    LOG.warn("{}", what);
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
    public synchronized Path quarantine(Path source, List<BadRow> rows) {
        StringBuilder sb = new StringBuilder();
        try {
            for (BadRow b : rows) {
                Map<String, Object> line = new LinkedHashMap<>();
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
        if (evals == null) {
            evals = new LineAppender(dir.resolve(EVALS));
        }
        append(evals, result);
    }

    /** An agent run's held-out episodes, one line each, with the evaluation's step. */
    public static final String EVAL_EPISODES = "eval_episodes.jsonl";

    /** Appends one held-out episode to {@code eval_episodes.jsonl} (created on first use). */
    public synchronized void evalEpisode(Map<String, Object> line) {
        if (evalEpisodes == null) {
            evalEpisodes = new LineAppender(dir.resolve(EVAL_EPISODES));
        }
        append(evalEpisodes, line);
    }

    private static void append(LineAppender to, Map<String, Object> line) {
        String text;
        try {
            text = JSON.writeValueAsString(line);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a line of " + to.file() + ": " + e.getMessage(), e);
        }
        to.append(text);
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
        metrics.close();
        completions.close();
        ledger.close();
        if (evals != null) {
            evals.close();
        }
        if (evalEpisodes != null) {
            evalEpisodes.close();
        }
    }
}
