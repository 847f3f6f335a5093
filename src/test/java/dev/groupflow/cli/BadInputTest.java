package dev.groupflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Malformed rows are quarantined (nothing lost), too many refuse the run; long prompts are skipped or refused. */
class BadInputTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** 100 rows of digit prompts for the built-in policy, with {@code bad} malformed ones at known lines. */
    private static Path prompts(Path dir, int bad) throws Exception {
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            String digits = Integer.toString(100 + i);
            rows.add(i < bad ? (i % 2 == 0 ? "{\"prompt\": \"" + digits + ">\", \"answer\": " : "{\"answer\": \"1\"}")
                    : "{\"prompt\": \"" + digits + ">\", \"answer\": \"" + new StringBuilder(digits).reverse() + "\"}");
        }
        Path p = dir.resolve("prompts.jsonl");
        Files.write(p, rows);
        return p;
    }

    private static SampleCommandTest.Run train(Path prompts, Path run, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--prompts", prompts.toString(), "--verifier", "exact",
                "--run-dir", run.toString(), "--set", "train.steps=2", "--set", "grpo.group-size=2",
                "--set", "train.batch-groups=2", "--set", "pipeline.sampler-batch-prompts=2",
                "--set", "model.device=cpu", "--set", "sampling.max-new-tokens=4"));
        args.addAll(List.of(extra));
        return SampleCommandTest.run(args.toArray(String[]::new));
    }

    @Test
    void aFewMalformedRowsAreQuarantinedWithTheirLineNumbers(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        SampleCommandTest.Run r = train(prompts(tmp, 1), run);
        assertEquals(0, r.code(), r.err());
        List<String> q = Files.readAllLines(run.resolve("quarantine.jsonl"));
        assertEquals(1, q.size());
        JsonNode row = JSON.readTree(q.get(0));
        assertEquals(1, row.get("line").asInt());
        assertTrue(row.get("reason").asText().startsWith("not valid JSON"), row.toString());
        assertEquals("{\"prompt\": \"100>\", \"answer\": ", row.get("text").asText(), "the row kept as it was");
    }

    @Test
    void tooManyMalformedRowsRefuseTheRun(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        SampleCommandTest.Run r = train(prompts(tmp, 4), run);
        assertEquals(2, r.code(), r.err());
        for (String expected : List.of("4 of 100 rows are malformed", "line 1: not valid JSON",
                "line 2: field 'prompt' or 'messages'", "above data.max-bad-fraction")) {
            assertTrue(r.err().contains(expected), expected + " in " + r.err());
        }
        assertEquals(4, Files.readAllLines(run.resolve("quarantine.jsonl")).size(), "every bad row kept");
        SampleCommandTest.Run allowed = train(prompts(tmp, 4), tmp.resolve("run2"), "--set", "data.max-bad-fraction=0.05");
        assertEquals(0, allowed.code(), allowed.err());
    }

    @Test
    void longPromptsAreSkippedAndCountedOrRefuseTheRun(@TempDir Path tmp) throws Exception {
        Path p = tmp.resolve("long.jsonl");
        Files.writeString(p, "{\"prompt\": \"12>\", \"answer\": \"21\"}\n{\"prompt\": \"123456789>\", \"answer\": \"x\", "
                + "\"id\": \"the-long-one\"}\n{\"prompt\": \"34>\", \"answer\": \"43\"}\n");
        Path run = tmp.resolve("skip");
        SampleCommandTest.Run r = train(p, run, "--set", "data.max-prompt-tokens=5", "--set", "data.shuffle=false");
        assertEquals(0, r.code(), r.err());
        JsonNode last = JSON.readTree(Files.readAllLines(run.resolve("metrics.jsonl")).get(1));
        assertTrue(last.get("skipped_prompts_total").asInt() >= 1, last.toString());
        SampleCommandTest.Run refused = train(p, tmp.resolve("fail"), "--set", "data.max-prompt-tokens=5",
                "--set", "data.shuffle=false", "--set", "data.long-prompts=fail");
        assertEquals(1, refused.code(), refused.err());
        assertTrue(refused.err().contains("prompt the-long-one cannot be used: 10 tokens, more than the limit of 5"),
                refused.err());
    }
}
