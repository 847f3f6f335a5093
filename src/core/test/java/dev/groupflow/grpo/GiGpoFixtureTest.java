package dev.groupflow.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/**
 * Every {@code gigpo} case of every file in {@code fixtures/grpo-variants/} (made by the reference's
 * {@code variants_ref.py}): the per-step advantages within the file's tolerance. Only the {@code gigpo} section is
 * read; the files' other sections (NGRPO, guidance lengths, majority votes) belong to other tests.
 */
class GiGpoFixtureTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static List<Path> files() throws Exception {
        Path dir = Path.of(GiGpoFixtureTest.class.getResource("/fixtures/grpo-variants").toURI());
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
    }

    @TestFactory
    Stream<DynamicNode> everyGigpoCaseMatchesTheReference() throws Exception {
        List<DynamicNode> out = new ArrayList<>();
        for (Path file : files()) {
            JsonNode root = JSON.readTree(file.toFile());
            double tol = root.get("tolerance").asDouble();
            JsonNode section = root.path("gigpo");
            if (section.isMissingNode()) {
                continue; // a file of other variants only
            }
            List<DynamicNode> cases = new ArrayList<>();
            int i = 0;
            for (JsonNode c : section) {
                cases.add(dynamicTest("case " + i++ + " (" + c.get("mode").asText() + ", "
                        + c.get("trajectories").size() + " trajectories)", () -> check(c, tol)));
            }
            assertFalse(cases.isEmpty(), file + " has an empty gigpo section");
            out.add(DynamicContainer.dynamicContainer(file.getFileName().toString(), cases));
        }
        assertFalse(out.isEmpty(), "no file under fixtures/grpo-variants has a gigpo section");
        return out.stream();
    }

    private static void check(JsonNode c, double tol) {
        List<List<GiGpo.Step>> trajectories = new ArrayList<>();
        for (JsonNode t : c.get("trajectories")) {
            List<GiGpo.Step> steps = new ArrayList<>();
            for (JsonNode s : t) {
                steps.add(new GiGpo.Step(s.get("anchor").asText(), s.get("reward").asDouble()));
            }
            trajectories.add(steps);
        }
        GiGpo.Settings settings = new GiGpo.Settings(c.get("gamma").asDouble(), c.get("omega").asDouble(),
                GiGpo.Mode.parse(c.get("mode").asText()), c.get("std_eps").asDouble());
        double[][] got = GiGpo.advantages(trajectories, settings);
        double[][] expected = JSON.convertValue(c.get("advantages"), double[][].class);
        assertEquals(expected.length, got.length, "trajectories");
        List<String> bad = new ArrayList<>();
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i].length, got[i].length, "steps of trajectory " + i);
            for (int t = 0; t < expected[i].length; t++) {
                if (!(Math.abs(got[i][t] - expected[i][t]) <= tol)) {
                    bad.add("trajectory " + i + " step " + t + ": " + got[i][t] + " != " + expected[i][t]);
                }
            }
        }
        assertTrue(bad.isEmpty(), bad.toString());
    }
}
