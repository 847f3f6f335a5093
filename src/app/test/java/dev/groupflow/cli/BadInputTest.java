package dev.groupflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
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

    /** Rows with broken UTF-8 in each field: (text before, the bad bytes, text after, how the reason starts). */
    private static final List<Object[]> NOT_UTF8 = List.of(
            new Object[] {"{\"prompt\": \"1", new int[] {0xff}, "2>\", \"answer\": \"21\"}",
                    "field 'prompt': not valid UTF-8: a byte that never occurs in UTF-8"},
            new Object[] {"{\"messages\": [{\"role\": \"user\", \"content\": \"1", new int[] {0x80}, "2>\"}]}",
                    "field 'messages[0].content': not valid UTF-8: a continuation byte with no lead byte"},
            new Object[] {"{\"prompt\": \"12>\", \"metadata\": {\"src\": \"x", new int[] {0xc3}, "(y\"}}",
                    "field 'metadata.src': not valid UTF-8: a multi-byte sequence cut short by byte 0x28"},
            new Object[] {"{\"prompt\": \"12>\", \"answer\": \"2", new int[] {0xc0, 0xb1}, "\"}",
                    "field 'answer': not valid UTF-8: an overlong encoding"},
            new Object[] {"{\"prompt\": \"12>\", \"answer\": \"", new int[] {0xed, 0xb0, 0x80}, "\"}",
                    "field 'answer': not valid UTF-8: an encoded UTF-16 surrogate"},
            new Object[] {"{\"prompt\": \"12>\", \"metadata\": {\"k\": \"", new int[] {0xe2, 0x82}, "",
                    "field 'metadata.k': not valid UTF-8: a multi-byte sequence cut off by the end of the line"});

    /**
     * 32 good digit rows with the rows of {@link #NOT_UTF8} among the last ones (where a run reads them only after
     * training a while), not shuffled, one epoch: 16 steps of 2 prompts use every good row once.
     */
    private static Path notUtf8(Path dir) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int bad = 0;
        for (int i = 0; i < 32 + NOT_UTF8.size(); i++) {
            if (i >= 24 && i % 2 == 0 && bad < NOT_UTF8.size()) {
                Object[] row = NOT_UTF8.get(bad++);
                out.writeBytes(((String) row[0]).getBytes(StandardCharsets.UTF_8));
                for (int b : (int[]) row[1]) {
                    out.write(b);
                }
                out.writeBytes(((String) row[2]).getBytes(StandardCharsets.UTF_8));
            } else {
                String digits = Integer.toString(100 + i);
                out.writeBytes(("{\"prompt\": \"" + digits + ">\", \"answer\": \"" + new StringBuilder(digits).reverse()
                        + "\"}").getBytes(StandardCharsets.UTF_8));
            }
            out.write('\n');
        }
        Path p = dir.resolve("not-utf8.jsonl");
        Files.write(p, out.toByteArray());
        return p;
    }

    @Test
    void rowsThatAreNotUtf8AreQuarantinedAtTheStartAndTheRunTrainsEveryStep(@TempDir Path tmp) throws Exception {
        Path file = notUtf8(tmp);
        Path run = tmp.resolve("run");
        SampleCommandTest.Run r = train(file, run, "--set", "train.steps=16", "--set", "data.shuffle=false",
                "--set", "data.epochs=1", "--set", "data.max-bad-fraction=0.2");
        assertEquals(0, r.code(), r.err());
        assertEquals(16, Files.readAllLines(run.resolve("metrics.jsonl")).size(), "all 16 steps trained: " + r.err());
        List<String> q = Files.readAllLines(run.resolve("quarantine.jsonl"));
        assertEquals(NOT_UTF8.size(), q.size(), String.join("\n", q));
        List<String> original = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
        for (int k = 0; k < NOT_UTF8.size(); k++) {
            JsonNode row = JSON.readTree(q.get(k));
            assertEquals(file.toString(), row.get("file").asText());
            assertEquals(25 + 2 * k, row.get("line").asInt());
            assertTrue(row.get("reason").asText().startsWith((String) NOT_UTF8.get(k)[3]), row.toString());
            assertEquals(original.get(24 + 2 * k), new String(Base64.getDecoder().decode(
                    row.get("bytes_base64").asText()), StandardCharsets.ISO_8859_1),
                    "the row's bytes kept as they were");
        }
    }

    @Test
    void tooManyRowsThatAreNotUtf8RefuseTheRunUpFrontListingEach(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        SampleCommandTest.Run r = train(notUtf8(tmp), run, "--set", "data.shuffle=false");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("6 of 38 rows are malformed"), r.err());
        for (int k = 0; k < NOT_UTF8.size(); k++) {
            String expected = "line " + (25 + 2 * k) + ": " + NOT_UTF8.get(k)[3];
            assertTrue(r.err().contains(expected), expected + " in " + r.err());
        }
        assertTrue(r.err().contains("above data.max-bad-fraction"), r.err());
        assertTrue(!Files.exists(run.resolve("metrics.jsonl")) || Files.size(run.resolve("metrics.jsonl")) == 0,
                "nothing trained");
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
