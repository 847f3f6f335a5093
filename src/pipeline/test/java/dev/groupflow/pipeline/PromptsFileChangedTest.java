package dev.groupflow.pipeline;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.run.RunAssembly;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A prompts file rewritten while the run reads it: the run ends with the reason (the file and line, and that the
 * file changed), not with an anonymous "the supply stage stopped"; rows it already used are unaffected.
 */
class PromptsFileChangedTest {

    @Test
    void aRowChangedOnDiskEndsTheRunNamingFileLineAndTheChange(@TempDir Path tmp) throws Exception {
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            String digits = Integer.toString(100 + i);
            rows.add("{\"prompt\": \"" + digits + ">\", \"answer\": \"" + new StringBuilder(digits).reverse() + "\"}");
        }
        Path file = tmp.resolve("prompts.jsonl");
        Files.write(file, rows);
        var config = PipelineRuns.config("data.prompts=" + file, "verifier.name=exact", "data.shuffle=false",
                "data.epochs=1", "train.steps=20");
        RunResult r;
        try (RunAssembly s = PipelineRuns.setup(config, tmp.resolve("run"))) {
            r = PipelineRuns.streaming(s, line -> {
                if (((Number) line.get("step")).longValue() == 1) {
                    // rows 61-100 overwritten in place, same length (only their bytes tell), rows 1-60 untouched
                    long offset = String.join("\n", rows.subList(0, 60)).length() + 1;
                    String changed = String.join("\n", rows.subList(60, 100)).replace(">", "<");
                    try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
                        c.write(ByteBuffer.wrap(changed.getBytes(StandardCharsets.UTF_8)), offset);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            });
        }
        assertFalse(r.ok());
        assertTrue(PipelineRuns.reason(r).startsWith(file + ":61: the row is no longer the one validated when the run started: "
                + file + " was changed while the run uses it"), PipelineRuns.reason(r));
        // every prompt trained is one of the rows read before the change (stream index 0-59: lines 1-60)
        var json = new ObjectMapper();
        int trained = 0;
        for (String line : Files.readAllLines(tmp.resolve("run/ledger.jsonl"))) {
            for (var key : json.readTree(line).path("trained")) {
                assertTrue(key.asLong() < 60, line);
                trained++;
            }
        }
        assertTrue(trained >= 4, "it trained before the change");
    }
}
