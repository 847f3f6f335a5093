package dev.groupflow.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every directory under {@code fixtures/models/} (a new one is picked up with no code change): logits of the
 * full forward and of KV-cache decoding within the fixture's tolerance, the greedy continuation exactly, and a
 * save → load round trip (single file and sharded) bit for bit.
 */
class FixtureModelsTest {
    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    @Test
    void fixturesArePresent() {
        assertTrue(FixtureModels.directories().size() >= 2, "fixtures/models must hold the reference models");
    }

    @TestFactory
    Stream<DynamicContainer> everyFixtureModelMatchesItsReference() {
        return FixtureModels.directories().stream().map(dir -> DynamicContainer.dynamicContainer(
                dir.getFileName().toString(), Stream.of(
                        dynamicTest("full forward logits", () -> check(dir, FixtureModels::fullForward)),
                        dynamicTest("KV-cache incremental logits", () -> check(dir, FixtureModels::incremental)),
                        dynamicTest("greedy continuation", () -> check(dir, FixtureModels::greedy)),
                        dynamicTest("save and reload, one file, bit-exact", () -> roundTrip(dir, Long.MAX_VALUE)),
                        dynamicTest("save and reload, sharded, bit-exact", () -> roundTrip(dir, 100_000)))));
    }

    private interface Check {
        List<String> run(CausalLm model, JsonNode expected);
    }

    private static void check(Path dir, Check check) {
        try (CausalLm model = HfCheckpoints.load(dir, manager)) {
            List<String> mismatches = check.run(model, FixtureModels.expected(dir));
            assertTrue(mismatches.isEmpty(), dir.getFileName() + ": " + mismatches);
        }
    }

    private static void roundTrip(Path dir, long maxShardBytes) throws Exception {
        Path out = Files.createTempDirectory("groupflow-roundtrip");
        try (CausalLm original = HfCheckpoints.load(dir, manager)) {
            HfCheckpoints.save(original, out, maxShardBytes);
            boolean sharded = Files.exists(out.resolve("model.safetensors.index.json"));
            assertEquals(maxShardBytes != Long.MAX_VALUE, sharded, "sharded layout iff the size demands it");
            assertEquals(!sharded, Files.exists(out.resolve("model.safetensors")));
            try (CausalLm reloaded = HfCheckpoints.load(out, manager)) {
                assertEquals(original.config().withTorchDtype("float32"), reloaded.config()); // saved as F32
                for (Map.Entry<String, Parameter> e : original.parameters().entrySet()) {
                    float[] a = e.getValue().getArray().toFloatArray();
                    float[] b = reloaded.parameters().get(e.getKey()).getArray().toFloatArray();
                    assertEquals(a.length, b.length);
                    for (int i = 0; i < a.length; i++) {
                        if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                            throw new AssertionError(e.getKey() + "[" + i + "]: " + a[i] + " != " + b[i]);
                        }
                    }
                }
            }
        } finally {
            try (Stream<Path> files = Files.walk(out)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void aDirectoryThatDoesNotMatchItsExpectationFails(@TempDir Path tmp) throws Exception {
        Path dir = FixtureModels.directories().get(0);
        ObjectMapper json = new ObjectMapper();
        ObjectNode expected = (ObjectNode) FixtureModels.expected(dir);
        // nudge one logit by 10x the tolerance and change one greedy token
        ArrayNode firstPosition = (ArrayNode) expected.get("cases").get(1).get("logits").get(0).get(3);
        firstPosition.set(5, firstPosition.get(5).asDouble() + 10 * expected.get("tolerance").asDouble());
        ArrayNode continuation = (ArrayNode) expected.get("greedy").get("continuation");
        continuation.set(4, (continuation.get(4).asInt() + 1) % 384);
        try (CausalLm model = HfCheckpoints.load(dir, manager)) {
            JsonNode wrong = json.readTree(json.writeValueAsString(expected));
            assertFalse(FixtureModels.fullForward(model, wrong).isEmpty(), "a wrong logit must be caught");
            assertFalse(FixtureModels.incremental(model, wrong).isEmpty(), "a wrong logit must be caught (cache)");
            assertFalse(FixtureModels.greedy(model, wrong).isEmpty(), "a wrong greedy token must be caught");
            assertTrue(FixtureModels.fullForward(model, FixtureModels.expected(dir)).isEmpty());
        }
    }
}
