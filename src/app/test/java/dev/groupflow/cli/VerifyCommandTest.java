package dev.groupflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.testkit.SystemPackages;
import dev.groupflow.testkit.TestScoringServer;
import dev.groupflow.verify.code.CodeVerifierSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerifyCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path write(Path dir, String json) throws Exception {
        Path p = dir.resolve("case.json");
        Files.writeString(p, json);
        return p;
    }

    /** The single JSON line printed. */
    private static JsonNode line(SampleCommandTest.Run r) throws Exception {
        List<String> lines = r.out().lines().toList();
        assertEquals(1, lines.size(), r.out() + r.err());
        return JSON.readTree(lines.get(0));
    }

    @Test
    void scoresOneCase(@TempDir Path tmp) throws Exception {
        Path c = write(tmp, "{\"prompt\": \"Half of one?\", \"completion\": \"It is $\\\\boxed{\\\\frac{1}{2}}$.\", "
                + "\"answer\": \"0.5\"}");
        SampleCommandTest.Run r = SampleCommandTest.run("verify", "--verifier", "math", "--input", c.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode n = line(r);
        assertEquals("scored", n.get("status").asText());
        assertEquals(1.0, n.get("reward").asDouble());
        assertTrue(n.get("details").asText().contains("equals answer 1/2"), n.toString());
        assertEquals(1, n.get("attempts").asInt());
    }

    @Test
    void theSandboxedCodeVerifierIsRegistered(@TempDir Path tmp) throws Exception {
        CodeVerifierSettings tools = CodeVerifierSettings.defaults();
        SystemPackages.requireCodeSandbox(tools.bwrap(), tools.python(), tools.prlimit(), tools.setpriv());
        String program = "```python\\ndef add(a, b):\\n    return a + b\\n```";
        Path good = write(tmp, "{\"prompt\": \"add\", \"completion\": \"" + program + "\", "
                + "\"metadata\": {\"test_code\": \"assert add(2, 3) == 5\\nassert add(-1, 1) == 0\"}}");
        SampleCommandTest.Run r = SampleCommandTest.run("verify", "--verifier", "code", "--input", good.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode n = line(r);
        assertEquals("scored", n.get("status").asText(), n.toString());
        assertEquals(1.0, n.get("reward").asDouble(), n.toString());
        Path cheat = tmp.resolve("cheat.json");
        Files.writeString(cheat, "{\"prompt\": \"add\", \"completion\": \"import sys\\nprint('All tests passed')\\n"
                + "sys.exit(0)\", \"metadata\": {\"test_code\": \"assert add(2, 3) == 5\"}}");
        JsonNode c = line(SampleCommandTest.run("verify", "--verifier", "code", "--input", cheat.toString()));
        assertEquals(0.0, c.get("reward").asDouble(), c.toString());
    }

    @Test
    void weightedComponentsAndSettingsFromSet(@TempDir Path tmp) throws Exception {
        Path c = write(tmp, "{\"prompt\": \"p\", \"completion\": \"<think>x</think><answer>50%</answer>\", "
                + "\"answer\": \"1/2\", \"completion_tokens\": 95}");
        SampleCommandTest.Run r = SampleCommandTest.run("verify", "--verifier", "weighted", "--input", c.toString(),
                "--set", "verifier.weighted.parts=[{name=math,weight=1},{name=format,weight=0.5},{name=length,weight=1}]",
                "--set", "verifier.math.percent=fraction", "--set", "verifier.length.max-length=100",
                "--set", "verifier.length.buffer=10");
        assertEquals(0, r.code(), r.err());
        JsonNode n = line(r);
        assertEquals(1.0, n.get("components").get("math").asDouble());
        assertEquals(1.0, n.get("components").get("format").asDouble());
        assertEquals(-0.5, n.get("components").get("length").asDouble(), 1e-12);
        assertEquals(1.0 + 0.5 - 0.5, n.get("reward").asDouble(), 1e-12);
    }

    @Test
    void aFailedScoreIsReportedNotZero(@TempDir Path tmp) throws Exception {
        Path c = write(tmp, "{\"prompt\": \"p\", \"completion\": \"\\\\boxed{1}\"}");
        SampleCommandTest.Run r = SampleCommandTest.run("verify", "--verifier", "math", "--input", c.toString());
        assertEquals(1, r.code(), r.err());
        JsonNode n = line(r);
        assertEquals("failed", n.get("status").asText());
        assertTrue(n.get("reward").isNull());
        assertTrue(n.get("details").asText().contains("no 'answer'"), n.toString());
    }

    @Test
    void aSlowServiceTimesOutAsInTraining(@TempDir Path tmp) throws Exception {
        try (TestScoringServer server = new TestScoringServer()) {
            Path c = write(tmp, "{\"prompt\": \"p\", \"completion\": \"c\", \"answer\": \"a\"}");
            SampleCommandTest.Run r = SampleCommandTest.run("verify", "--verifier", "http", "--input", c.toString(),
                    "--set", "verifier.http.url=" + server.url("/slow"), "--set", "verifier.timeout=300ms");
            assertEquals(1, r.code(), r.err());
            JsonNode n = line(r);
            assertEquals("timed_out", n.get("status").asText());
            assertTrue(n.get("details").asText().contains("no answer within 300 ms"), n.toString());
        }
    }

    @Test
    void badVerifierOrCaseIsAUsageError(@TempDir Path tmp) throws Exception {
        Path c = write(tmp, "{\"prompt\": \"p\", \"completion\": \"c\"}");
        SampleCommandTest.Run unknown = SampleCommandTest.run("verify", "--verifier", "nope", "--input", c.toString());
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("verifier.name: 'nope' is not a known verifier"), unknown.err());
        SampleCommandTest.Run typo = SampleCommandTest.run("verify", "--verifier", "math", "--input", c.toString(),
                "--set", "verifier.math.percnt=fraction");
        assertEquals(2, typo.code());
        assertTrue(typo.err().contains("did you mean 'verifier.math.percent'"), typo.err());
        Path bad = write(tmp, "{\"prompt\": \"p\"}");
        SampleCommandTest.Run noCompletion = SampleCommandTest.run("verify", "--verifier", "exact", "--input",
                bad.toString());
        assertEquals(2, noCompletion.code());
        assertTrue(noCompletion.err().contains("\"completion\" (a string) is required"), noCompletion.err());
    }
}
