package dev.groupflow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.model.tokenizer.IdTokenizer;
import dev.groupflow.sampling.Completion;
import dev.groupflow.sampling.Sampler;
import dev.groupflow.sampling.SamplingParams;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The reference checks of a fixture model directory ({@code config.json}, weights, {@code expected.json} as
 * described in the fixtures README). Each check returns the mismatches it found (empty = pass), so the same
 * code drives the fixture tests and the test that a wrong expectation is caught.
 */
final class FixtureModels {
    private static final ObjectMapper JSON = new ObjectMapper();

    private FixtureModels() {
    }

    /** Every model directory under the test resources' fixtures/models. */
    static List<Path> directories() {
        try {
            Path root = Path.of(FixtureModels.class.getResource("/fixtures/models").toURI());
            try (Stream<Path> s = Files.list(root)) {
                return s.filter(Files::isDirectory).sorted().toList();
            }
        } catch (URISyntaxException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode expected(Path dir) {
        try {
            return JSON.readTree(dir.resolve("expected.json").toFile());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long[] ids(JsonNode rows) {
        return StreamSupportIds.flatten(rows);
    }

    /** Compares [B, T, V] logits with the case's expectation; reports the worst element if over tolerance. */
    private static void compare(String what, float[] actual, JsonNode expectedLogits, double tolerance,
                                List<String> out) {
        double worst = 0;
        int at = -1;
        int k = 0;
        for (JsonNode seq : expectedLogits) {
            for (JsonNode pos : seq) {
                for (JsonNode v : pos) {
                    double err = Math.abs(v.asDouble() - actual[k]);
                    if (!(err <= worst)) {
                        worst = err;
                        at = k;
                    }
                    k++;
                }
            }
        }
        if (k != actual.length) {
            out.add(what + ": " + actual.length + " logits, expected " + k);
        } else if (!(worst <= tolerance)) {
            out.add(what + ": max |error| " + worst + " at flat index " + at + " > tolerance " + tolerance);
        }
    }

    /** Full forward over each case (no padding, no cache). */
    static List<String> fullForward(CausalLm model, JsonNode expected) {
        List<String> out = new ArrayList<>();
        double tol = expected.get("tolerance").asDouble();
        for (JsonNode c : expected.get("cases")) {
            long[] ids = ids(c.get("input_ids"));
            int b = c.get("input_ids").size();
            int t = ids.length / b;
            try (NDScope ignored = new NDScope()) {
                NDManager m = model.manager();
                float[] logits = model.forward(m.create(ids, new Shape(b, t)), m.ones(new Shape(b, t))).toFloatArray();
                compare("full forward T=" + t, logits, c.get("logits"), tol, out);
            }
        }
        return out;
    }

    /** Prefill the first half of each case, then one token at a time through the KV cache. */
    static List<String> incremental(CausalLm model, JsonNode expected) {
        List<String> out = new ArrayList<>();
        double tol = expected.get("tolerance").asDouble();
        for (JsonNode c : expected.get("cases")) {
            long[] ids = ids(c.get("input_ids"));
            int b = c.get("input_ids").size();
            int t = ids.length / b;
            int prefix = Math.max(1, t / 2);
            try (NDScope ignored = new NDScope(); KvCache cache = new KvCache(model.manager(), model.config(), b, t)) {
                NDManager m = model.manager();
                NDArray all = m.create(ids, new Shape(b, t));
                NDArray mask = m.ones(new Shape(b, prefix));
                cache.appendMask(mask);
                List<NDArray> logits = new ArrayList<>();
                logits.add(model.logits(model.hidden(all.get(":, :{}", prefix), Masks.positions(mask),
                        Masks.causalBias(mask, prefix), cache)));                        // [B, prefix, V]
                for (int pos = prefix; pos < t; pos++) {
                    cache.appendMask(m.ones(new Shape(b, 1)));
                    NDArray positions = m.full(new Shape(b, 1), pos, DataType.INT64);
                    NDArray bias = Masks.causalBias(cache.keyMask(pos + 1), 1);
                    logits.add(model.logits(model.hidden(all.get(new NDIndex().addAllDim().addSliceDim(pos, pos + 1)),
                            positions, bias, cache)));                                     // [B, 1, V]
                }
                NDArray joined = logits.get(0);
                for (int i = 1; i < logits.size(); i++) {
                    joined = joined.concat(logits.get(i), 1);
                }
                compare("KV cache T=" + t + " (prefill " + prefix + ")", joined.toFloatArray(), c.get("logits"), tol,
                        out);
            }
        }
        return out;
    }

    /** The argmax continuation through the project's sampler at temperature 0. */
    static List<String> greedy(CausalLm model, JsonNode expected) {
        JsonNode g = expected.get("greedy");
        int[] prompt = JSON.convertValue(g.get("prompt"), int[].class);
        int[] continuation = JSON.convertValue(g.get("continuation"), int[].class);
        Sampler sampler = new Sampler(model, new IdTokenizer(model.config().vocabSize()), Set.of());
        Completion c = sampler.generate(List.of(new Sampler.Request(0, prompt, 1)),
                SamplingParams.greedy(continuation.length), 0, 0).get(0).get(0);
        return Arrays.equals(continuation, c.tokens()) ? List.of()
                : List.of("greedy continuation " + Arrays.toString(c.tokens()) + " != expected "
                        + Arrays.toString(continuation));
    }

    /** Helper for nested int arrays. */
    private static final class StreamSupportIds {
        static long[] flatten(JsonNode rows) {
            List<Long> out = new ArrayList<>();
            rows.forEach(r -> r.forEach(v -> out.add(v.asLong())));
            return out.stream().mapToLong(Long::longValue).toArray();
        }
    }
}
