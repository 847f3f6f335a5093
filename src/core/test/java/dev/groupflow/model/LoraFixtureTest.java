package dev.groupflow.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.groupflow.grpo.AdamW;
import dev.groupflow.model.lora.LoraAdapters;
import dev.groupflow.model.lora.LoraConfig;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every directory under {@code fixtures/lora/} (made by the PyTorch reference {@code lora_ref.py} beside them; a new
 * one is picked up with no code change): the base with the adapters loaded from PEFT's files gives the reference's
 * logits through the full forward and through the KV cache, the base alone (the KL reference: adapters off) the
 * reference's base logits, the gradients of A and B of every adapter match for the whole graph and for the chunked,
 * recomputed one, the base gets no gradient, and a merged export loads as a plain model with the adapted logits.
 */
class LoraFixtureTest {
    private static NDManager manager;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    static List<Path> directories() {
        try {
            Path root = Path.of(LoraFixtureTest.class.getResource("/fixtures/lora").toURI());
            try (Stream<Path> s = Files.list(root)) {
                return s.filter(Files::isDirectory).sorted().toList();
            }
        } catch (URISyntaxException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The fixture's base with its adapters attached. */
    private static CausalLm adapted(Path dir) {
        CausalLm model = HfCheckpoints.load(dir.resolve("base"), manager);
        Path adapter = dir.resolve("adapter");
        LoraConfig config = LoraAdapters.readConfig(adapter, LoraConfig.NONE);
        model.attachAdapters(LoraAdapters.load(model.config(), adapter, config, model.manager(), 0));
        return model;
    }

    @TestFactory
    Stream<DynamicContainer> everyLoraFixtureMatchesItsReference() {
        List<Path> dirs = directories();
        assertTrue(dirs.size() >= 2, "fixtures/lora must hold the reference cases");
        return dirs.stream().map(dir -> DynamicContainer.dynamicContainer(dir.getFileName().toString(), Stream.of(
                dynamicTest("logits with adapters, full forward and KV cache", () -> adaptedLogits(dir)),
                dynamicTest("logits of the base alone (the reference model)", () -> baseLogits(dir)),
                dynamicTest("gradients of A and B, whole graph", () -> gradients(dir, TrainingMemory.DEFAULT)),
                dynamicTest("gradients of A and B, head in chunks, layers recomputed",
                        () -> gradients(dir, new TrainingMemory(2L * 4 * 96, true))),
                dynamicTest("merged export loads as a plain model", () -> merged(dir)),
                dynamicTest("saved adapters reload bit for bit", () -> saveAndReload(dir)))));
    }

    private static void adaptedLogits(Path dir) {
        try (CausalLm model = adapted(dir)) {
            JsonNode expected = FixtureModels.expected(dir);
            assertEquals(List.of(), FixtureModels.fullForward(model, expected));
            assertEquals(List.of(), FixtureModels.incremental(model, expected));
        }
    }

    private static void baseLogits(Path dir) {
        try (CausalLm model = adapted(dir); CausalLm base = model.baseView(manager)) {
            ObjectNode expected = FixtureModels.expected(dir).deepCopy();
            for (JsonNode c : expected.get("cases")) {
                ((ObjectNode) c).set("logits", c.get("base_logits"));
            }
            assertEquals(List.of(), FixtureModels.fullForward(base, expected));
            // the adapters do change the logits: the same expectation fails with them on
            assertFalse(FixtureModels.fullForward(model, expected).isEmpty());
        }
    }

    private static void gradients(Path dir, TrainingMemory memory) {
        JsonNode g = FixtureModels.expected(dir).get("gradient");
        double tolerance = FixtureModels.expected(dir).get("grad_tolerance").asDouble();
        int[] prompt = ints(g.get("prompt"));
        int[] completion = ints(g.get("completion"));
        float[] weights = new float[completion.length];
        for (int j = 0; j < weights.length; j++) {
            weights[j] = (float) g.get("weights").get(j).asDouble();
        }
        try (CausalLm model = adapted(dir)) {
            model.setTrainingMemory(memory);
            model.setRequiresGradient(true);
            TokenLogprobs.Packed packed = TokenLogprobs.pack(List.of(prompt), List.of(completion), 0);
            try (NDScope ignored = new NDScope();
                 GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDList a = packed.toArrays(manager);
                LogprobGraph graph = LogprobGraph.forward(model, a.get(0), a.get(1), packed.promptWidth(), a.get(2),
                        1.0, false);
                NDArray loss = graph.logprobs().mul(manager.create(weights, new Shape(1, weights.length))).sum();
                collector.backward(loss);
                graph.backward();
                assertEquals(g.get("loss").asDouble(), loss.getFloat(), 1e-4, "loss");
                List<String> mismatches = new ArrayList<>();
                int checked = 0;
                for (Map.Entry<String, Parameter> e : model.trainableParameters().entrySet()) {
                    float[] actual = e.getValue().getArray().getGradient().toFloatArray();
                    JsonNode want = g.get("grads").get(e.getKey());
                    assertEquals(want.size(), actual.length, e.getKey());
                    for (int i = 0; i < actual.length; i++) {
                        double err = Math.abs(want.get(i).asDouble() - actual[i]);
                        if (!(err <= tolerance)) {
                            mismatches.add(e.getKey() + "[" + i + "]: " + actual[i] + " != " + want.get(i));
                        }
                    }
                    checked++;
                }
                assertEquals(g.get("grads").size(), checked, "a gradient for every adapter tensor");
                assertEquals(List.of(), mismatches);
                for (Parameter p : model.parameters().values()) {
                    assertFalse(p.getArray().hasGradient(), p.getName() + ": the base is frozen");
                }
                AdamW.zeroGradients(model.trainableParameters());
            }
        }
    }

    private static void merged(Path dir) throws IOException {
        Path out = Files.createTempDirectory(tmp, "merged");
        try (CausalLm model = adapted(dir)) {
            HfCheckpoints.save(model, out, HfCheckpoints.DEFAULT_MAX_SHARD_BYTES);
        }
        assertFalse(Files.exists(out.resolve(LoraAdapters.CONFIG_FILE)), "a plain checkpoint, no adapters");
        try (CausalLm plain = HfCheckpoints.load(out, manager)) {
            assertEquals(null, plain.adapters());
            assertEquals(List.of(), FixtureModels.fullForward(plain, FixtureModels.expected(dir)));
        }
    }

    private static void saveAndReload(Path dir) throws IOException {
        Path out = Files.createTempDirectory(tmp, "adapters");
        try (CausalLm model = adapted(dir)) {
            model.adapters().save(out);
            LoraConfig config = LoraAdapters.readConfig(out, LoraConfig.NONE);
            try (LoraAdapters again = LoraAdapters.load(model.config(), out, config, manager, 0)) {
                for (Map.Entry<String, Parameter> e : model.adapters().parameters().entrySet()) {
                    float[] a = e.getValue().getArray().toFloatArray();
                    float[] b = again.parameters().get(e.getKey()).getArray().toFloatArray();
                    for (int i = 0; i < a.length; i++) {
                        assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), e.getKey());
                    }
                }
            }
        }
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }
}
