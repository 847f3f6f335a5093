package dev.groupflow.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.groupflow.config.Settings;
import dev.groupflow.model.RewardModel;
import dev.groupflow.model.tokenizer.CharTokenizer;
import dev.groupflow.model.tokenizer.TextTokenizer;
import dev.groupflow.model.tokenizer.Tokenizers;
import dev.groupflow.verify.registry.Verifiers;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reward-model verifier end to end: built from its config section, called through {@link VerifierCalls} by
 * several callers at once, batched on its own thread, scores equal to the reward model's score of each text alone;
 * chat templates, limits, problems and the weighted combination.
 */
class RewardModelVerifierTest {

    /** The outcome as scored; fails the test with its detail otherwise. */
    private static Outcome.Scored scored(Outcome o) {
        return assertInstanceOf(Outcome.Scored.class, o, o.detail());
    }
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final CharTokenizer CHARS = new CharTokenizer("0123456789+=? abcdefghijklmnopqrstuvwxyz");
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final List<Verifier> opened = new ArrayList<>();

    @TempDir
    Path tmp;

    @AfterEach
    void stop() {
        opened.forEach(Verifier::close);
        scheduler.shutdownNow();
    }

    private static Path fixture() {
        try {
            return Path.of(RewardModelVerifierTest.class.getResource("/fixtures/reward-models/tiny-qwen2-rm").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The fixture reward model with a tokenizer: the built-in character one, or a word-level one with a template. */
    private Path withTokenizer(String name, boolean chat) throws IOException {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        for (String f : List.of("config.json", "model.safetensors")) {
            Files.copy(fixture().resolve(f), dir.resolve(f));
        }
        if (chat) {
            writeChatTokenizer(dir);
        } else {
            Tokenizers.save(CHARS, dir);
        }
        return dir;
    }

    /**
     * A Hugging Face tokenizer.json (one token per character, {@code <|im_start|>} and {@code <|im_end|>} special)
     * and a tokenizer_config.json with a ChatML template.
     */
    private static void writeChatTokenizer(Path dir) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        var added = root.putArray("added_tokens");
        String[] special = {"<|im_start|>", "<|im_end|>"};
        for (int i = 0; i < special.length; i++) {
            added.addObject().put("id", i + 1).put("content", special[i]).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        }
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Split");
        pre.putObject("pattern").put("Regex", "[\\s\\S]");
        pre.put("behavior", "Isolated");
        pre.put("invert", false);
        ObjectNode model = root.putObject("model");
        model.put("type", "WordLevel");
        model.put("unk_token", "<unk>");
        ObjectNode vocab = model.putObject("vocab");
        vocab.put("<unk>", 0);
        vocab.put("<|im_start|>", 1);
        vocab.put("<|im_end|>", 2);
        String chars = "\n 0123456789+=?abcdefghijklmnopqrstuvwxyz";
        for (int i = 0; i < chars.length(); i++) {
            vocab.put(String.valueOf(chars.charAt(i)), 3 + i);
        }
        Files.writeString(dir.resolve("tokenizer.json"), JSON.writeValueAsString(root));
        ObjectNode config = JSON.createObjectNode();
        config.put("chat_template", "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n"
                + "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}");
        config.put("eos_token", "<|im_end|>");
        config.put("pad_token", "<unk>");
        Files.writeString(dir.resolve("tokenizer_config.json"), JSON.writeValueAsString(config));
    }

    private static Config section(String overrides) {
        return ConfigFactory.parseString(overrides).withFallback(Settings.defaults().getConfig("verifier")).resolve();
    }

    private RewardModelVerifier create(Path dir, String more) {
        Verifier v = Verifiers.builtIn().create(section("name = reward-model, reward-model { path = \""
                + dir + "\", device = cpu, " + more + " }"), scheduler);
        opened.add(v);
        return (RewardModelVerifier) v;
    }

    /** The reward model's score of one token sequence alone (a batch of one, no padding). */
    private static float alone(Path dir, int[] ids) {
        try (NDManager m = NDManager.newBaseManager(); RewardModel rm = RewardModel.load(dir, m)) {
            return rm.score(List.of(ids), RewardModel.Padding.LEFT)[0];
        }
    }

    private VerifierCalls calls(Verifier v) {
        return new VerifierCalls(v, Duration.ofSeconds(60), 0, Duration.ofMillis(1), scheduler);
    }

    private static VerifyRequest request(String prompt, String completion) {
        return new VerifyRequest(prompt, completion, null, Map.of());
    }

    @Test
    void concurrentRequestsAreScoredInOnePaddedBatchAsEachAlone() throws Exception {
        Path dir = withTokenizer("chars", false);
        // the round waits (up to a minute) until six requests have come, so all six are one batch
        RewardModelVerifier v = create(dir, "batch-size = 6, batch-wait = 60s");
        assertFalse(v.chat(), "the character tokenizer has no template: prompt text + completion");
        List<VerifyRequest> requests = List.of(request("12+3=", "15"), request("4+4=", "8"),
                request("what is 70+1?", " 71"), request("9+9=", "18 is the answer"), request("5=", "5"),
                request("a", "b"));
        List<CompletableFuture<Outcome>> outcomes = new ArrayList<>();
        List<Thread> callers = new ArrayList<>();
        for (VerifyRequest r : requests) {
            CompletableFuture<Outcome> f = new CompletableFuture<>();
            outcomes.add(f);
            Thread t = new Thread(() -> calls(v).call(r).whenComplete((o, e) -> f.complete(o)), "caller");
            callers.add(t);
            t.start();
        }
        for (Thread t : callers) {
            t.join();
        }
        for (int i = 0; i < requests.size(); i++) {
            Outcome.Scored o = scored(outcomes.get(i).get());
            int[] ids = CHARS.encode(requests.get(i).prompt() + requests.get(i).completion());
            assertEquals(alone(dir, ids), o.reward(), 1e-5, "request " + i);
            assertNull(o.answer(), "a score, no canonical answer");
        }
        assertEquals(new RewardModelVerifier.Stats(1, 6, 6), v.stats());
    }

    @Test
    void theTokenBudgetSplitsARoundIntoBatchesWithTheSameScores() throws Exception {
        Path dir = withTokenizer("budget", false);
        RewardModelVerifier v = create(dir, "batch-size = 4, batch-wait = 60s, max-batch-tokens = 12");
        List<String> texts = List.of("1", "22", "333", "4444444444");
        List<CompletableFuture<Reward>> scores = new ArrayList<>();
        texts.forEach(t -> scores.add(v.score(request("", t)).toCompletableFuture()));
        for (int i = 0; i < texts.size(); i++) {
            assertEquals(alone(dir, CHARS.encode(texts.get(i))), scores.get(i).get().value(), 1e-5, texts.get(i));
        }
        assertEquals(new RewardModelVerifier.Stats(1, 4, 4), v.stats(), "one round, in several forward passes");
    }

    @Test
    void theChatTemplateRendersTheConversationAndTheCompletion() throws Exception {
        Path dir = withTokenizer("chat", true);
        RewardModelVerifier v = create(dir, "batch-size = 1");
        assertTrue(v.chat());
        VerifyRequest plain = request("what is 2+3?", "5");
        assertEquals("<|im_start|>user\nwhat is 2+3?<|im_end|>\n<|im_start|>assistant\n5<|im_end|>\n",
                v.render(plain));
        VerifyRequest conversation = plain.withMessages(List.of(Map.of("role", "system", "content", "be brief"),
                Map.of("role", "user", "content", "what is 2+3?")));
        String rendered = v.render(conversation);
        assertEquals("<|im_start|>system\nbe brief<|im_end|>\n<|im_start|>user\nwhat is 2+3?<|im_end|>\n"
                + "<|im_start|>assistant\n5<|im_end|>\n", rendered);
        try (TextTokenizer tok = Tokenizers.load(dir, Set.of())) {
            int[] ids = tok.encode(rendered);
            assertEquals(1, ids[0], "<|im_start|> is one special token");
            Outcome.Scored o = scored(calls(v).call(conversation).toCompletableFuture().get());
            assertEquals(alone(dir, ids), o.reward(), 1e-5);
        }
        RewardModelVerifier off = create(dir, "chat-template = off");
        assertEquals("what is 2+3?5", off.render(conversation));
    }

    @Test
    void aRequestOverTheLimitFailsAloneNeverTruncated() throws Exception {
        Path dir = withTokenizer("limit", false);
        RewardModelVerifier v = create(dir, "batch-size = 2, batch-wait = 60s, max-tokens = 8");
        CompletableFuture<Outcome> tooLong = calls(v).call(request("123456", "789")).toCompletableFuture();
        CompletableFuture<Outcome> fine = calls(v).call(request("1234", "5")).toCompletableFuture();
        Outcome failed = tooLong.get();
        assertEquals(Outcome.Status.FAILED, failed.status());
        assertTrue(failed.detail().contains("9 tokens") && failed.detail().contains("max-tokens"), failed.detail());
        assertEquals(alone(dir, CHARS.encode("12345")), scored(fine.get()).reward(), 1e-5);
    }

    @Test
    void combinesWithRuleBasedVerifiersInTheWeightedOne() throws Exception {
        Path dir = withTokenizer("weighted", false);
        Verifier v = Verifiers.builtIn().create(section("name = weighted, weighted.parts = "
                + "[{name = reward-model, weight = 0.5}, {name = exact, weight = 2}], "
                + "reward-model { path = \"" + dir + "\", device = cpu, batch-size = 1 }"), scheduler);
        opened.add(v);
        Outcome.Scored o = scored(calls(v).call(new VerifyRequest("12+3=", "15", "15", Map.of()))
                .toCompletableFuture().get());
        double rm = alone(dir, CHARS.encode("12+3=15"));
        assertEquals(rm, o.components().get("reward-model"), 1e-5);
        assertEquals(0.5 * rm + 2.0, o.reward(), 1e-5);
        assertEquals("15", o.answer(), "exact match gives the canonical answer");
        assertTrue(Verifiers.usedNames(section("name = weighted, weighted.parts = [{name = reward-model, weight = 1}]"))
                .contains(RewardModelVerifier.NAME));
    }

    @Test
    void badSettingsAndCheckpointsAreConfigurationProblems() throws Exception {
        String all = String.join("\n", Verifiers.builtIn().check(section("name = reward-model, reward-model { "
                + "batch-size = 0, batch-wait = -1ms, device = tpu, chat-template = maybe }")));
        assertTrue(all.contains("verifier.reward-model.path: required"), all);
        assertTrue(all.contains("verifier.reward-model.batch-size: must be >= 1"), all);
        assertTrue(all.contains("verifier.reward-model.batch-wait: must be >= 0"), all);
        assertTrue(all.contains("verifier.reward-model.device: 'tpu'"), all);
        assertTrue(all.contains("verifier.reward-model.chat-template: 'maybe'"), all);
        // a policy (a causal LM) is not a reward model: named with its config.json, before any weight is read
        Path policy = Path.of(getClass().getResource("/fixtures/models/tiny-qwen3").toURI());
        String causal = String.join("\n", Verifiers.builtIn().check(section("name = reward-model, "
                + "reward-model.path = \"" + policy + "\"")));
        assertTrue(causal.contains("verifier.reward-model.path: " + policy.resolve("config.json"))
                && causal.contains("'Qwen3ForCausalLM' is not a sequence-classification reward model"), causal);
        String noTokenizer = String.join("\n", Verifiers.builtIn().check(section("name = reward-model, "
                + "reward-model.path = \"" + fixture() + "\"")));
        assertTrue(noTokenizer.contains("has no tokenizer"), noTokenizer);
        String tooLong = String.join("\n", Verifiers.builtIn().check(section("name = reward-model, "
                + "reward-model { path = \"" + withTokenizer("long", false) + "\", max-tokens = 4096 }")));
        assertTrue(tooLong.contains("max-tokens: 4096 is more than the reward model's max_position_embeddings 128"),
                tooLong);
    }

    @Test
    void closingFailsWhatIsQueued() throws Exception {
        Path dir = withTokenizer("close", false);
        RewardModelVerifier v = create(dir, "batch-size = 8, batch-wait = 60s");
        CompletableFuture<Reward> waiting = v.score(request("1", "2")).toCompletableFuture();
        v.close();
        assertTrue(waiting.isCompletedExceptionally());
        Throwable after = Requests.failure(v, request("1", "2"));
        assertTrue(after instanceof VerifierFailure f && !f.retryable(), String.valueOf(after));
    }
}
