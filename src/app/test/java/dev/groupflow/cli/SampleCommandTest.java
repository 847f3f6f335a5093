package dev.groupflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.HfCheckpoints;
import dev.groupflow.model.TinyModels;
import dev.groupflow.model.tokenizer.CharTokenizer;
import dev.groupflow.model.tokenizer.Tokenizers;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SampleCommandTest {
    private static final CharTokenizer TOKENIZER = new CharTokenizer("0123456789+=");

    record Run(int code, String out, String err) {
    }

    /** Runs the CLI in-process; err holds both picocli's error output and what commands print to stderr. */
    static Run run(String... args) {
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        ByteArrayOutputStream errBuffer = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        try {
            System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(errBuffer, true, StandardCharsets.UTF_8));
            CommandLine cl = Main.commandLine();
            cl.setErr(new PrintWriter(err, true));
            int code = cl.execute(args);
            return new Run(code, buffer.toString(StandardCharsets.UTF_8),
                    err + errBuffer.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
    }

    private static Path checkpoint(Path dir) {
        try (NDManager m = NDManager.newBaseManager();
             CausalLm model = CausalLm.random(TinyModels.qwen3(TOKENIZER.vocabSize()), m, 3)) {
            HfCheckpoints.save(model, dir, HfCheckpoints.DEFAULT_MAX_SHARD_BYTES);
            Tokenizers.save(TOKENIZER, dir);
        }
        return dir;
    }

    @Test
    void greedySamplesAreIdenticalJsonLines(@TempDir Path tmp) throws Exception {
        Path dir = checkpoint(tmp);
        Run r = run("sample", "--model", dir.toString(), "--prompt", "12+3=", "-n", "3", "--temperature", "0",
                "--max-new-tokens", "5", "--json", "--device", "cpu");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(3, lines.size(), r.out());
        ObjectMapper json = new ObjectMapper();
        JsonNode first = json.readTree(lines.get(0));
        for (String line : lines) {
            JsonNode n = json.readTree(line);
            assertEquals(first.get("tokens"), n.get("tokens"));
            assertEquals(n.get("tokens").size(), n.get("logprobs").size());
            assertTrue(n.get("tokens").size() <= 5);
            assertTrue(List.of("stop", "length").contains(n.get("finish_reason").asText()));
        }
    }

    @Test
    void chatWithoutATemplateFailsClearly(@TempDir Path tmp) {
        Path dir = checkpoint(tmp);
        Run r = run("sample", "--model", dir.toString(), "--prompt", "1", "--chat", "--device", "cpu");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("no chat template"), r.err());
    }

    @Test
    void missingModelDirectoryIsAUsageError(@TempDir Path tmp) {
        Run r = run("sample", "--model", tmp.resolve("nope").toString(), "--prompt", "1", "--device", "cpu");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("config.json is missing"), r.err());
    }
}
