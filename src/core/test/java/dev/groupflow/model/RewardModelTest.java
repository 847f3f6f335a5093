package dev.groupflow.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.groupflow.safetensors.Dtype;
import dev.groupflow.safetensors.FloatFormats;
import dev.groupflow.safetensors.SafetensorsCheckpoint;
import dev.groupflow.safetensors.SafetensorsWriter;
import dev.groupflow.safetensors.TensorSpec;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sequence-classification reward models: every directory under {@code fixtures/reward-models/} (made by the
 * reference's {@code reward_model_ref.py}, each score computed for its sequence alone) scored in ONE padded batch,
 * left- and right-padded, within the fixture's tolerance; the same model as BF16 shards; and every way a checkpoint
 * can be wrong for a reward model, named with its file.
 */
class RewardModelTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static NDManager manager;

    @TempDir
    Path tmp;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    /** Every reward model directory under the test resources' fixtures/reward-models. */
    static List<Path> directories() {
        try {
            Path root = Path.of(RewardModelTest.class.getResource("/fixtures/reward-models").toURI());
            try (Stream<Path> s = Files.list(root)) {
                return s.filter(Files::isDirectory).sorted().toList();
            }
        } catch (URISyntaxException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode expected(Path dir) throws IOException {
        return JSON.readTree(dir.resolve("expected.json").toFile());
    }

    private static List<int[]> sequences(JsonNode expected) {
        List<int[]> out = new ArrayList<>();
        for (JsonNode c : expected.get("cases")) {
            out.add(JSON.convertValue(c.get("input_ids"), int[].class));
        }
        return out;
    }

    @TestFactory
    Stream<DynamicTest> everyFixtureScoredInOnePaddedBatch() {
        List<Path> dirs = directories();
        assertFalse(dirs.isEmpty(), "no directory under fixtures/reward-models");
        return dirs.stream().flatMap(dir -> Stream.of(RewardModel.Padding.values()).map(padding ->
                DynamicTest.dynamicTest(dir.getFileName() + " " + padding, () -> {
                    JsonNode expected = expected(dir);
                    double tolerance = expected.get("tolerance").asDouble();
                    List<int[]> seqs = sequences(expected);
                    assertTrue(seqs.stream().mapToInt(s -> s.length).distinct().count() > 1,
                            "the cases have different lengths, so the batch is padded");
                    try (RewardModel rm = RewardModel.load(dir, manager)) {
                        float[] scores = rm.score(seqs, padding);
                        List<String> bad = new ArrayList<>();
                        for (int i = 0; i < seqs.size(); i++) {
                            double want = expected.get("cases").get(i).get("score").asDouble();
                            if (!(Math.abs(scores[i] - want) <= tolerance)) {
                                bad.add("case " + i + " (" + seqs.get(i).length + " tokens): " + scores[i] + " != "
                                        + want);
                            }
                        }
                        assertTrue(bad.isEmpty(), bad.toString());
                    }
                })));
    }

    @Test
    void aSequenceEndingInThePadIdIsScoredAtItsLastToken() throws IOException {
        // pooling follows the attention mask, not the pad id: appending the pad id changes the score
        Path dir = directories().get(0);
        int pad = expected(dir).path("pad_token_id").asInt(0);
        int[] seq = sequences(expected(dir)).get(3);
        int[] withPad = java.util.Arrays.copyOf(seq, seq.length + 1);
        withPad[seq.length] = pad;
        try (RewardModel rm = RewardModel.load(dir, manager)) {
            float[] s = rm.score(List.of(seq, withPad), RewardModel.Padding.RIGHT);
            assertTrue(Math.abs(s[0] - s[1]) > 1e-4, s[0] + " vs " + s[1]);
            assertEquals(s[1], rm.score(List.of(withPad), RewardModel.Padding.LEFT)[0], 1e-5);
            IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                    () -> rm.score(List.of(seq, new int[0]), RewardModel.Padding.LEFT));
            assertTrue(empty.getMessage().contains("sequence 1 has no tokens"), empty.getMessage());
        }
    }

    /** Every tensor of a fixture reward model, as floats, with its shape. */
    private static Map<String, float[]> tensors(Path dir, Map<String, long[]> shapes) {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
            for (String n : ckpt.names()) {
                out.put(n, ckpt.readFloats(n));
                shapes.put(n, ckpt.shape(n));
            }
        }
        return out;
    }

    /** A copy of the first fixture with edited tensors and config, written by {@code writer}. */
    private Path rewritten(String name, Consumer<Map<String, float[]>> editTensors, Consumer<ObjectNode> editConfig,
                           SafetensorsWriter writer) throws IOException {
        Path src = directories().get(0);
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, float[]> tensors = tensors(src, shapes);
        editTensors.accept(tensors);
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        ObjectNode config = (ObjectNode) JSON.readTree(src.resolve("config.json").toFile());
        editConfig.accept(config);
        Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(config));
        List<TensorSpec> specs = new ArrayList<>();
        tensors.forEach((n, v) -> specs.add(TensorSpec.of(n, shapes.getOrDefault(n, new long[] {v.length}))));
        writer.writeCheckpoint(dir, specs, tensors);
        return dir;
    }

    @Test
    void bf16ShardsLoadLikeThePolicysWeights() throws IOException {
        // the same weights rounded to BF16, once as F32 in one file, once as BF16 in shards: equal scores
        Consumer<Map<String, float[]>> round = t -> t.replaceAll((n, v) -> {
            float[] r = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                r[i] = FloatFormats.bf16ToFloat(FloatFormats.floatToBf16(v[i]));
            }
            return r;
        });
        Path f32 = rewritten("rounded-f32", round, c -> { }, new SafetensorsWriter());
        Path bf16 = rewritten("bf16-sharded", round, c -> c.put("torch_dtype", "bfloat16"),
                new SafetensorsWriter().withDtype(Dtype.BF16).withMaxShardBytes(40_000));
        assertTrue(Files.isRegularFile(bf16.resolve(SafetensorsCheckpoint.INDEX_FILE)), "sharded");
        List<int[]> seqs = sequences(expected(directories().get(0)));
        try (RewardModel a = RewardModel.load(f32, manager); RewardModel b = RewardModel.load(bf16, manager)) {
            float[] sa = a.score(seqs, RewardModel.Padding.LEFT);
            float[] sb = b.score(seqs, RewardModel.Padding.LEFT);
            for (int i = 0; i < sa.length; i++) {
                assertEquals(sa[i], sb[i], 1e-5, "case " + i);
            }
        }
    }

    private ModelException rejected(Path dir, String... phrases) {
        ModelException e = assertThrows(ModelException.class, () -> RewardModel.load(dir, manager).close());
        for (String p : phrases) {
            assertTrue(e.getMessage().contains(p), "\"" + p + "\" in: " + e.getMessage());
        }
        return e;
    }

    @Test
    void aWrongArchitectureOrLabelCountIsNamedWithItsFile() throws IOException {
        Path causal = rewritten("causal", t -> { }, c -> c.putArray("architectures").add("Qwen2ForCausalLM"),
                new SafetensorsWriter());
        rejected(causal, causal.resolve("config.json").toString(), "'Qwen2ForCausalLM' is not a sequence-"
                + "classification reward model", "it is a causal LM");
        Path twoLabels = rewritten("labels", t -> { }, c -> c.put("num_labels", 2), new SafetensorsWriter());
        rejected(twoLabels, "num_labels: 2", "exactly one label");
        Path noLabels = rewritten("no-labels", t -> { }, c -> {
            c.remove("num_labels");
            c.remove("id2label");
        }, new SafetensorsWriter());
        rejected(noLabels, "num_labels: missing (transformers then uses 2)");
        // every problem of the config at once, the decoder's too
        Path many = rewritten("many", t -> { }, c -> {
            c.putArray("architectures").add("BertForSequenceClassification");
            c.put("num_labels", 3);
            c.put("hidden_act", "gelu");
        }, new SafetensorsWriter());
        ModelException e = rejected(many, "BertForSequenceClassification", "num_labels: 3", "hidden_act");
        assertEquals(3, e.problems().size(), e.getMessage());
        Path mismatch = rewritten("mismatch", t -> { }, c -> c.putArray("architectures")
                .add("LlamaForSequenceClassification"), new SafetensorsWriter());
        rejected(mismatch, "does not match model_type 'qwen2'");
    }

    @Test
    void aMissingOrWrongScoreHeadIsNamedWithItsFile() throws IOException {
        Path missing = rewritten("missing", t -> t.remove(RewardModel.SCORE), c -> { }, new SafetensorsWriter());
        rejected(missing, missing.resolve("model.safetensors").toString(), "tensor 'score.weight' is missing");
        Path withBias = rewritten("bias", t -> t.put("score.bias", new float[] {0.5f}), c -> { },
                new SafetensorsWriter());
        rejected(withBias, "'score.bias'", "no bias");
        Path wide = tmp.resolve("wide"); // a head of two rows
        Files.createDirectories(wide);
        Files.copy(directories().get(0).resolve("config.json"), wide.resolve("config.json"));
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, float[]> t = tensors(directories().get(0), shapes);
        t.put(RewardModel.SCORE, new float[96]);
        shapes.put(RewardModel.SCORE, new long[] {2, 48});
        List<TensorSpec> specs = new ArrayList<>();
        t.forEach((n, v) -> specs.add(TensorSpec.of(n, shapes.get(n))));
        new SafetensorsWriter().writeCheckpoint(wide, specs, t);
        rejected(wide, "tensor 'score.weight' has shape [2, 48]");
        // a decoder tensor missing is reported as for a policy
        Path noLayer = rewritten("no-layer", m -> m.remove("model.norm.weight"), c -> { }, new SafetensorsWriter());
        rejected(noLayer, "tensor 'model.norm.weight' is missing");
    }
}
