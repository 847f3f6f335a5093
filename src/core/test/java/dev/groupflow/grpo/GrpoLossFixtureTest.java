package dev.groupflow.grpo;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every case of every file in {@code fixtures/grpo-loss/}: advantages from rewards, the loss, and
 * d loss / d current log-probs through DJL autograd, each within the file's tolerance.
 */
class GrpoLossFixtureTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static List<Path> files() throws Exception {
        Path dir = Path.of(GrpoLossFixtureTest.class.getResource("/fixtures/grpo-loss").toURI());
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
    }

    @TestFactory
    Stream<DynamicNode> everyCaseMatchesTheReference() throws Exception {
        List<DynamicNode> out = new ArrayList<>();
        for (Path file : files()) {
            JsonNode root = JSON.readTree(file.toFile());
            double tol = root.get("tolerance").asDouble();
            List<DynamicNode> cases = new ArrayList<>();
            int i = 0;
            for (JsonNode c : root.get("cases")) {
                String name = i++ + " " + c.get("config").path("name").asText("");
                cases.add(dynamicTest(name, () -> {
                    List<String> mismatches = check(c, tol);
                    assertTrue(mismatches.isEmpty(), mismatches.toString());
                }));
            }
            assertFalse(cases.isEmpty(), file + " has no cases");
            out.add(DynamicContainer.dynamicContainer(file.getFileName().toString(), cases));
        }
        return out.stream();
    }

    /** Runs one case and returns what does not match (empty = pass). */
    static List<String> check(JsonNode c, double tol) {
        List<String> bad = new ArrayList<>();
        JsonNode cfg = c.get("config");
        int groupSize = c.get("group_size").asInt();
        Double[] rewards = JSON.convertValue(c.get("rewards"), Double[].class);
        double[] expectedAdv = JSON.convertValue(c.get("advantages"), double[].class);
        AdvantageScale scale = OptionNames.parse(AdvantageScale.class, cfg.get("scale").asText());
        Advantages.Result adv = Advantages.compute(rewards, groupSize, scale);
        for (int i = 0; i < expectedAdv.length; i++) {
            if (!(Math.abs(adv.advantages()[i] - expectedAdv[i]) <= tol)) {
                bad.add("advantage[" + i + "] " + adv.advantages()[i] + " != " + expectedAdv[i]);
            }
        }
        double[][] mask = JSON.convertValue(c.get("mask"), double[][].class);
        int b = mask.length;
        int t = mask[0].length;
        GrpoLoss.Settings settings = new GrpoLoss.Settings(
                OptionNames.parse(Aggregation.class, cfg.get("aggregation").asText()),
                OptionNames.parse(RatioLevel.class, cfg.get("ratio_level").asText()), cfg.get("eps_low").asDouble(),
                cfg.get("eps_high").asDouble(), cfg.get("beta").asDouble(), 0.0,
                cfg.get("max_completion_length").asInt());
        long tokens = 0;
        for (double[] row : mask) {
            for (double m : row) {
                tokens += (long) m;
            }
        }
        try (NDManager m = NDManager.newBaseManager();
             GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray cur = m.create(flat(JSON.convertValue(c.get("current_logprobs"), double[][].class)), new Shape(b, t));
            cur.setRequiresGradient(true);
            NDArray old = m.create(flat(JSON.convertValue(c.get("old_logprobs"), double[][].class)), new Shape(b, t));
            NDArray ref = m.create(flat(JSON.convertValue(c.get("ref_logprobs"), double[][].class)), new Shape(b, t));
            NDArray advantages = m.create(adv.advantages());
            GrpoLoss.Output out = GrpoLoss.compute(cur, old, settings.beta() == 0 ? null : ref,
                    m.create(flat(mask), new Shape(b, t)), advantages, settings, new GrpoLoss.Normaliser(b, tokens));
            double loss = out.loss().toType(DataType.FLOAT64, false).getDouble();
            if (!(Math.abs(loss - c.get("loss").asDouble()) <= tol)) {
                bad.add("loss " + loss + " != " + c.get("loss").asDouble());
            }
            gc.backward(out.loss());
            double[] grad = cur.getGradient().toDoubleArray();
            double[] expected = flat(JSON.convertValue(c.get("grad_current_logprobs"), double[][].class));
            for (int i = 0; i < grad.length; i++) {
                if (!(Math.abs(grad[i] - expected[i]) <= tol)) {
                    bad.add("grad[" + i / t + "][" + i % t + "] " + grad[i] + " != " + expected[i]);
                    break;
                }
            }
        }
        return bad;
    }

    private static double[] flat(double[][] a) {
        return Arrays.stream(a).flatMapToDouble(Arrays::stream).toArray();
    }

    @Test
    void aWrongExpectationFails() throws Exception {
        JsonNode root = JSON.readTree(files().get(0).toFile());
        double tol = root.get("tolerance").asDouble();
        for (String field : List.of("loss", "advantages", "grad_current_logprobs")) {
            ObjectNode c = root.get("cases").get(1).deepCopy();
            switch (field) {
                case "loss" -> c.put("loss", c.get("loss").asDouble() + 10 * tol);
                case "advantages" -> ((ArrayNode) c.get("advantages")).set(5,
                        c.get("advantages").get(5).asDouble() + 10 * tol);
                default -> ((ArrayNode) c.get("grad_current_logprobs").get(4)).set(0,
                        c.get("grad_current_logprobs").get(4).get(0).asDouble() + 10 * tol);
            }
            assertFalse(check(c, tol).isEmpty(), "a wrong " + field + " must be caught");
        }
        assertTrue(check(root.get("cases").get(1), tol).isEmpty());
    }

}
