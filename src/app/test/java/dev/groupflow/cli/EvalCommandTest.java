package dev.groupflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.HfCheckpoints;
import dev.groupflow.model.TinyModels;
import dev.groupflow.model.tokenizer.CharTokenizer;
import dev.groupflow.model.tokenizer.Tokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final CharTokenizer TOKENIZER = new CharTokenizer("0123456789+=");

    /** A randomly initialised tiny Qwen3 with a character tokenizer over digits, '+' and '=', as a model directory. */
    static Path model(Path tmp) {
        Path dir = tmp.resolve("model");
        try (NDManager m = NDManager.newBaseManager();
             CausalLm model = CausalLm.random(TinyModels.qwen3(TOKENIZER.vocabSize()), m, 3)) {
            HfCheckpoints.save(model, dir, HfCheckpoints.DEFAULT_MAX_SHARD_BYTES);
            Tokenizers.save(TOKENIZER, dir);
        }
        return dir;
    }

    static Path prompts(Path tmp) throws Exception {
        Path prompts = tmp.resolve("prompts.jsonl");
        Files.writeString(prompts, """
                {"prompt": "12+3="}
                {"prompt": "4+4="}
                {"prompt": "70+1="}
                {"prompt": "9+9="}
                {"prompt": "5+0="}
                {"prompt": "31+13="}
                {"prompt": "this row cannot be encoded by the model's tokenizer"}
                not json
                """);
        return prompts;
    }

    private static List<String> args(Path model, Path prompts, String... more) {
        List<String> a = new ArrayList<>(List.of("eval", "--model", model.toString(), "--prompts", prompts.toString(),
                "--verifier", "format", "--set", "verifier.format.kind=regex",
                "--set", "verifier.format.regex=\"[0-2]\"",
                "--set", "verifier.format.match=find", "--set", "sampling.max-new-tokens=4",
                "--set", "model.device=cpu"));
        a.addAll(List.of(more));
        return a;
    }

    @Test
    void reportsMeanRewardAndPassAtKWithIntervals(@TempDir Path tmp) throws Exception {
        Path model = model(tmp);
        Path prompts = prompts(tmp);
        SampleCommandTest.Run r = SampleCommandTest.run(args(model, prompts, "--samples", "4", "--temperature", "1.0",
                "--k", "2").toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(1, lines.size(), r.out());
        JsonNode e = JSON.readTree(lines.get(0));
        assertEquals(6, e.get("prompts").asInt());
        assertEquals(1, e.get("prompts_skipped").asInt());
        assertEquals(1, e.get("prompts_malformed").asInt());
        assertEquals(4, e.get("samples_per_prompt").asInt());
        assertEquals(24, e.get("completions_scored").asInt());
        assertEquals(List.of("1", "2", "4"), iterable(e.get("pass_at_k").fieldNames()));
        double previous = -1;
        for (String k : List.of("1", "2", "4")) {
            JsonNode p = e.get("pass_at_k").get(k);
            double estimate = p.get("estimate").asDouble();
            assertTrue(estimate >= previous, "pass@k grows with k: " + e);
            previous = estimate;
            assertTrue(p.get("ci95").get(0).asDouble() <= estimate + 1e-12
                    && estimate <= p.get("ci95").get(1).asDouble() + 1e-12, p.toString());
        }
        // with rewards of 0 or 1 and n the same for every prompt, pass@1 is the fraction of correct completions
        assertEquals(e.get("fraction_full_reward").asDouble(), e.get("pass_at_k").get("1").get("estimate").asDouble(),
                1e-12);
        assertEquals(e.get("fraction_full_reward").asDouble(), e.get("mean_reward").asDouble(), 1e-12);
        assertTrue(r.err().contains("pass@1") && r.err().contains("95% CI"), r.err());
        double pass1 = e.get("pass_at_k").get("1").get("estimate").asDouble();
        assertTrue(pass1 > 0 && pass1 < 1, "some completions are right, some wrong: " + e);

        SampleCommandTest.Run again = SampleCommandTest.run(args(model, prompts, "--samples", "4", "--temperature",
                "1.0", "--k", "2").toArray(String[]::new));
        assertEquals(r.out(), again.out(), "seeded: the same result twice");
    }

    @Test
    void theThresholdDecidesWhatIsCorrect(@TempDir Path tmp) throws Exception {
        SampleCommandTest.Run r = SampleCommandTest.run(args(model(tmp), prompts(tmp), "--samples", "3",
                "--temperature", "1.0", "--threshold", "0").toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        JsonNode pass1 = JSON.readTree(r.out()).get("pass_at_k").get("1");
        assertEquals(1.0, pass1.get("estimate").asDouble(), 1e-12);
        assertEquals(1.0, pass1.get("ci95").get(0).asDouble(), 1e-12);
        assertEquals(1.0, pass1.get("ci95").get(1).asDouble(), 1e-12);
    }

    @Test
    void aKAboveTheSamplesIsAUsageError(@TempDir Path tmp) throws Exception {
        SampleCommandTest.Run r = SampleCommandTest.run(args(model(tmp), prompts(tmp), "--samples", "4",
                "--k", "5").toArray(String[]::new));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("eval.pass-k: k = 5 must be in [1, eval.samples = 4]"), r.err());
        assertEquals("", r.out());
    }

    private static List<String> iterable(Iterator<String> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
