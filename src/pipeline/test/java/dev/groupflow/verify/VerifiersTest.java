package dev.groupflow.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.groupflow.config.ConfigProblems;
import dev.groupflow.config.Settings;
import dev.groupflow.verify.registry.Verifiers;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class VerifiersTest {
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    /** The shipped verifier section with HOCON overrides on top. */
    private static Config section(String overrides) {
        return ConfigFactory.parseString(overrides).withFallback(Settings.defaults().getConfig("verifier")).resolve();
    }

    @Test
    void everyBuiltInBuildsFromTheShippedDefaults() {
        Verifiers registry = Verifiers.builtIn();
        assertEquals(Set.of("task", "exact", "math", "format", "json", "length", "http", "code", "weighted"),
                registry.names());
        for (String name : List.of("task", "exact", "math", "format", "json", "length")) {
            Verifier v = registry.create(section("name = " + name), scheduler);
            v.close();
        }
        Verifier http = registry.create(section("name = http, http.url = \"http://127.0.0.1:9/score\""), scheduler);
        assertTrue(http instanceof HttpVerifier);
    }

    @Test
    void builtVerifiersUseTheirSections() {
        Verifier exact = Verifiers.builtIn().create(section("name = exact, exact.case-sensitive = true"), scheduler);
        assertEquals(0.0, Requests.score(exact, "paris", "Paris").value());
        Verifier math = Verifiers.builtIn().create(section("name = math, math.percent = fraction"), scheduler);
        assertEquals(1.0, Requests.score(math, "\\boxed{50\\%}", "1/2").value());
        Verifier format = Verifiers.builtIn().create(section("name = format, format { kind = regex, regex = \"a+\" }"),
                scheduler);
        assertEquals(1.0, Requests.score(format, "aaa", null).value());
    }

    @Test
    void weightedCombinationFromConfig() {
        Verifier v = Verifiers.builtIn().create(section("name = weighted, weighted.parts = "
                + "[{name = math, weight = 1.0}, {name = format, weight = 0.5}, {name = length, weight = 1}], "
                + "length { unit = chars, max-length = 40, buffer = 10 }"), scheduler);
        Reward r = Requests.score(v, "<think>ok</think><answer>\\boxed{3}</answer>", "3");
        // 43 chars: 3 past the hard limit -> length -1; math 1; format 1 x 0.5
        assertEquals(1.0 + 0.5 - 1.0, r.value(), 1e-12, r.details());
        assertEquals(1.0, r.components().get("math"));
        assertEquals(1.0, r.components().get("format"));
        assertEquals(-1.0, r.components().get("length"));
        assertEquals(Set.of("math", "format", "length"), Verifiers.usedNames(section("name = weighted, weighted.parts = "
                + "[{name = math, weight = 1.0}, {name = format, weight = 0.5}, {name = length, weight = 1}]")));
    }

    @Test
    void allProblemsAreReportedByFullKey() {
        List<String> p = Verifiers.builtIn().check(section("name = weighted, weighted { parts = [{name = math, weight = 1},"
                + " {name = nope, weight = 1}, {name = math, weight = 2}, {name = http}, {name = json, weight = 1, x = 2}],"
                + " on-component-failure = maybe }, math { percent = ratio, max-depth = 0 }, http.retries = -1,"
                + " json.source = yaml"));
        String all = String.join("\n", p);
        assertTrue(all.contains("verifier.weighted.on-component-failure: 'maybe' is not one of [fail, zero]"), all);
        assertTrue(all.contains("verifier.weighted.parts: 'nope' is not a known verifier"), all);
        assertTrue(all.contains("'math' is listed twice"), all);
        assertTrue(all.contains("part 4: needs both name and weight"), all);
        assertTrue(all.contains("part 5: unknown key 'x'"), all);
        assertTrue(all.contains("verifier.math.percent: 'ratio' is not one of [fraction, number]"), all);
        assertTrue(all.contains("verifier.math.max-depth: must be >= 1, got 0"), all);
        assertTrue(all.contains("verifier.json.source: 'yaml'"), all);
        // http is not a part here, so its section is not read
        assertTrue(!all.contains("verifier.http"), all);
        List<String> http = Verifiers.builtIn().check(section("name = http, http { retries = -1, timeout = 0s }"));
        String h = String.join("\n", http);
        assertTrue(h.contains("verifier.http.url: set the URL"), h);
        assertTrue(h.contains("verifier.http.retries: must be >= 0"), h);
        assertTrue(h.contains("verifier.http.timeout: must be positive"), h);
        assertTrue(String.join("\n", Verifiers.builtIn().check(section("name = format, format { kind = regex,"
                + " regex = \"(unclosed\" }"))).contains("verifier.format.regex: not a valid Java regular expression"));
        assertTrue(String.join("\n", Verifiers.builtIn().check(section("name = length, length { max-length = 10,"
                + " buffer = 20 }"))).contains("verifier.length.buffer: must be <= verifier.length.max-length (10)"));
        assertTrue(Verifiers.builtIn().check(section("name = math")).isEmpty());
    }

    @Test
    void createThrowsEveryProblemAtOnce() {
        ConfigProblems e = assertThrows(ConfigProblems.class, () -> Verifiers.builtIn().create(
                section("name = sandbox"), scheduler));
        assertTrue(e.getMessage().contains("verifier.name: 'sandbox' is not a known verifier [code, exact, format, http,"),
                e.getMessage());
    }

    @Test
    void registeringAVerifierIsOneLine() {
        Verifiers registry = Verifiers.builtIn()
                .register("constant", (settings, context) -> r -> CompletableFuture.completedFuture(Reward.of(0.75)));
        Verifier v = registry.create(section("name = constant"), scheduler);
        assertEquals(0.75, Requests.score(v, "x", null).value());
        Verifier combined = registry.create(section("name = weighted, weighted.parts = [{name = constant, weight = 2}]"),
                scheduler);
        assertEquals(1.5, Requests.score(combined, "x", null).value());
    }
}
