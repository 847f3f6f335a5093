package dev.groupflow.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.groupflow.config.ConfigProblems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Verifier settings are checked with everything else, with the key and where its value came from. */
class RunConfigVerifierTest {

    private static Path prompts(Path tmp) throws Exception {
        Path p = tmp.resolve("p.jsonl");
        Files.writeString(p, "{\"prompt\": \"1+1=\", \"answer\": \"2\"}\n");
        return p;
    }

    @Test
    void everyBuiltInVerifierIsKnown() throws Exception {
        assertTrue(RunConfig.VERIFIERS.containsAll(List.of("task", "exact", "math", "format", "json", "length",
                "http", "weighted")), RunConfig.VERIFIERS::toString);
    }

    @Test
    void verifierProblemsComeWithTheOthers(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("run.conf");
        Files.writeString(file, "verifier {\n  name = math\n  math.percent = ratio\n}\n");
        ConfigProblems e = assertThrows(ConfigProblems.class, () -> RunConfig.load(file, List.of(
                "data.prompts=" + prompts(tmp), "grpo.group-size=1", "verifier.math.max-depth=0")));
        List<String> p = e.problems();
        assertTrue(p.stream().anyMatch(s -> s.startsWith("verifier.math.percent: 'ratio' is not one of")
                && s.contains("run.conf: line 3")), p::toString);
        assertTrue(p.stream().anyMatch(s -> s.startsWith("verifier.math.max-depth: must be >= 1")
                && s.contains("--set verifier.math.max-depth=0")), p::toString);
        assertTrue(p.stream().anyMatch(s -> s.startsWith("grpo.group-size: must be >= 2")), p::toString);
    }

    @Test
    void unknownVerifierNamesListTheKnownOnes(@TempDir Path tmp) throws Exception {
        ConfigProblems e = assertThrows(ConfigProblems.class, () -> RunConfig.load(null, List.of(
                "data.prompts=" + prompts(tmp), "verifier.name=sandbox")));
        assertTrue(e.getMessage().contains("verifier.name: 'sandbox' is not a known verifier [code, exact, format, http"),
                e.getMessage());
    }

    @Test
    void httpNeedsAUrl(@TempDir Path tmp) throws Exception {
        ConfigProblems e = assertThrows(ConfigProblems.class, () -> RunConfig.load(null, List.of(
                "data.prompts=" + prompts(tmp), "verifier.name=http")));
        assertTrue(e.getMessage().contains("verifier.http.url: set the URL"), e.getMessage());
        RunConfig ok = RunConfig.load(null, List.of("data.prompts=" + prompts(tmp), "verifier.name=http",
                "verifier.http.url=http://127.0.0.1:8080/score"));
        assertEquals("http", ok.verifier().name());
    }

    @Test
    void weightedPartsDecideWhetherTheBuiltInTaskFits(@TempDir Path tmp) throws Exception {
        RunConfig builtIn = RunConfig.load(null, List.of("verifier.name=weighted",
                "verifier.weighted.parts=[{name=task,weight=1},{name=length,weight=1}]"));
        assertEquals("weighted", builtIn.verifier().name());
        ConfigProblems noTask = assertThrows(ConfigProblems.class, () -> RunConfig.load(null, List.of(
                "verifier.name=weighted", "verifier.weighted.parts=[{name=math,weight=1}]")));
        assertTrue(noTask.getMessage().contains("'weighted' needs data.prompts"), noTask.getMessage());
        RunConfig file = RunConfig.load(null, List.of("data.prompts=" + prompts(tmp), "verifier.name=weighted",
                "verifier.weighted.parts=[{name=math,weight=1},{name=format,weight=0.2}]"));
        assertEquals("weighted", file.verifier().name());
    }
}
