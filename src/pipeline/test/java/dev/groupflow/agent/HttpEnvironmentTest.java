package dev.groupflow.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.groupflow.data.Prompt;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.TinyModels;
import dev.groupflow.model.tokenizer.CharTokenizer;
import dev.groupflow.sampling.SamplingParams;
import dev.groupflow.sampling.TurnSampler;
import dev.groupflow.verify.JsonPost;
import dev.groupflow.verify.RetryingCalls;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The HTTP JSON protocol against a reference server on 127.0.0.1: real requests, real failures. */
class HttpEnvironmentTest {
    private static final Prompt TASK = Prompt.text("task-9", GuessTask.prompt(2), "47");
    private static ScheduledExecutorService scheduler;
    private static TestEnvironmentServer server;

    @BeforeAll
    static void start() throws Exception {
        scheduler = Executors.newSingleThreadScheduledExecutor();
        server = new TestEnvironmentServer();
    }

    @AfterAll
    static void stop() {
        server.close();
        scheduler.shutdownNow();
    }

    private static EnvironmentCalls calls(URI base, Duration timeout) {
        JsonPost.Settings settings = new JsonPost.Settings(timeout, 2, Duration.ofMillis(5), 8, 64 * 1024, 50,
                Duration.ofSeconds(1), "agent.environment.http");
        return new EnvironmentCalls(new HttpEnvironment(base, settings, scheduler), Duration.ofSeconds(30), 0,
                Duration.ofMillis(5), scheduler);
    }

    private static <T> T done(RetryingCalls.Result<T> r) {
        assertInstanceOf(RetryingCalls.Done.class, r, String.valueOf(r));
        return ((RetryingCalls.Done<T>) r).value();
    }

    private static EpisodeOutcome failed(RetryingCalls.Result<?> r) {
        return EnvironmentCalls.outcome(r, 0);
    }

    private static JsonNode lastRequest() {
        return server.requests.get(server.requests.size() - 1);
    }

    @Test
    void aPlainEpisodeOverTheWire() {
        EnvironmentCalls env = calls(server.base("plain"), Duration.ofSeconds(10));
        Observation first = done(env.start(new EpisodeStart("p1", TASK, 17)).toCompletableFuture().join());
        assertEquals(Observation.text("??:", ""), first);
        JsonNode start = lastRequest();
        assertEquals("p1", start.get("episode_id").asText());
        assertEquals(17, start.get("seed").asLong());
        assertEquals("task-9", start.at("/task/id").asText());
        assertEquals("??:", start.at("/task/prompt").asText());
        assertEquals("47", start.at("/task/answer").asText());
        Transition t = done(env.step(new EpisodeStep("p1", 0, Action.plain("41", false))).toCompletableFuture()
                .join());
        assertEquals(Observation.text("=>:", "41=>"), t.observation());
        assertEquals(0.5, t.reward());
        JsonNode step = lastRequest();
        assertEquals(0, step.get("turn").asInt());
        assertEquals("41", step.at("/action/text").asText());
        assertTrue(step.at("/action/tool_calls").isArray() && step.at("/action/tool_calls").isEmpty());
        Transition found = done(env.step(new EpisodeStep("p1", 1, Action.plain("47", false))).toCompletableFuture()
                .join());
        assertTrue(found.done());
        assertEquals(null, found.observation());
        env.end("p1").toCompletableFuture().join();
        assertEquals(1, server.hits("/plain/end"));
    }

    @Test
    void chatMessagesToolsAndToolCallsOverTheWire() {
        EnvironmentCalls env = calls(server.base("chat"), Duration.ofSeconds(10));
        Observation first = done(env.start(new EpisodeStart("c1", TASK, 0)).toCompletableFuture().join());
        assertEquals(List.of(GuessEnvironment.GUESS_TOOL), first.tools());
        assertEquals("user", first.messages().get(0).get("role"));
        Action call = new Action("<tool_call>...</tool_call>", "", List.of(new ToolCall("guess",
                Map.of("digits", "40"))), List.of("tool call 2 is not JSON"), false);
        Transition t = done(env.step(new EpisodeStep("c1", 0, call)).toCompletableFuture().join());
        assertEquals(List.of(Map.of("role", "tool", "content", "=>")), t.observation().messages());
        JsonNode step = lastRequest();
        assertEquals("guess", step.at("/action/tool_calls/0/name").asText());
        assertEquals("40", step.at("/action/tool_calls/0/arguments/digits").asText());
        assertEquals("tool call 2 is not JSON", step.at("/action/tool_call_errors/0").asText());
    }

    @Test
    void aRetriedStepIsAnsweredOnceAndA5xxIsRetried() {
        EnvironmentCalls env = calls(server.base("flaky"), Duration.ofSeconds(10));
        done(env.start(new EpisodeStart("f1", TASK, 0)).toCompletableFuture().join());
        Transition t = done(env.step(new EpisodeStep("f1", 0, Action.plain("17", false))).toCompletableFuture()
                .join());
        assertEquals(0.5, t.reward());
        assertEquals(2, server.hits("/flaky/step"), "a 503, then the answer");
        // the same turn sent again (its reply was lost, say) gets the same answer, not a second move
        EnvironmentCalls again = calls(server.base("flaky"), Duration.ofSeconds(10));
        Transition repeat = done(again.step(new EpisodeStep("f1", 0, Action.plain("17", false)))
                .toCompletableFuture().join());
        assertEquals(t, repeat);
    }

    @Test
    void badRepliesAndSilenceAreExplicitFailures() throws Exception {
        EnvironmentCalls slow = calls(server.base("slow"), Duration.ofMillis(300));
        done(slow.start(new EpisodeStart("s1", TASK, 0)).toCompletableFuture().join());
        EpisodeOutcome timedOut = failed(slow.step(new EpisodeStep("s1", 0, Action.plain("11", false)))
                .toCompletableFuture().join());
        assertInstanceOf(EpisodeOutcome.EnvironmentTimedOut.class, timedOut);
        assertTrue(((EpisodeOutcome.EnvironmentTimedOut) timedOut).what()
                .contains("no reply within 300 ms (agent.environment.http.timeout)"), timedOut.toString());
        server.release();

        EnvironmentCalls garbage = calls(server.base("garbage"), Duration.ofSeconds(10));
        done(garbage.start(new EpisodeStart("g1", TASK, 0)).toCompletableFuture().join());
        EpisodeOutcome notJson = failed(garbage.step(new EpisodeStep("g1", 0, Action.plain("11", false)))
                .toCompletableFuture().join());
        assertTrue(notJson.toString().contains("is not JSON") && notJson.toString().contains("<html>oops</html>"),
                notJson.toString());
        assertEquals(1, server.hits("/garbage/step"), "a malformed reply is not retried");

        EnvironmentCalls noReward = calls(server.base("noreward"), Duration.ofSeconds(10));
        done(noReward.start(new EpisodeStart("n1", TASK, 0)).toCompletableFuture().join());
        assertTrue(failed(noReward.step(new EpisodeStep("n1", 0, Action.plain("11", false))).toCompletableFuture()
                .join()).toString().contains("has no finite numeric \"reward\""));

        EpisodeOutcome refused = failed(calls(server.base("refuses"), Duration.ofSeconds(10))
                .start(new EpisodeStart("r1", TASK, 0)).toCompletableFuture().join());
        assertTrue(refused.toString().contains("no game for this task"), refused.toString());

        EpisodeOutcome missing = failed(calls(server.base("missing"), Duration.ofSeconds(10))
                .start(new EpisodeStart("m1", TASK, 0)).toCompletableFuture().join());
        assertTrue(missing.toString().contains("HTTP 404"), missing.toString());
        assertEquals(1, server.hits("/missing/start"), "a 4xx is not retried");

        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        EpisodeOutcome refusedConnection = failed(calls(URI.create("http://127.0.0.1:" + port + "/env"),
                Duration.ofSeconds(5)).start(new EpisodeStart("x", TASK, 0)).toCompletableFuture().join());
        assertTrue(refusedConnection.toString().contains("connection failed")
                && refusedConnection.toString().contains("after 3 attempts"), refusedConnection.toString());
    }

    @Test
    void aTinyPolicyPlaysEpisodesAgainstTheServer() throws Exception {
        CharTokenizer tokenizer = new CharTokenizer(GuessTask.ALPHABET);
        try (NDManager manager = NDManager.newBaseManager();
             CausalLm model = CausalLm.random(TinyModels.qwen3(tokenizer.vocabSize()), manager, 3)) {
            model.suppressTokens(tokenizer.neverGenerated());
            EpisodeRunner runner = new EpisodeRunner(new TurnSampler(model, tokenizer),
                    new PlainTurnFormat(tokenizer, ToolCallFormat.PLAIN), calls(server.base("play"),
                    Duration.ofSeconds(10)), new EpisodeLimits(3, 64, 4), SamplingParams.standard(4), 8, false);
            List<EpisodeSpec> specs = List.of(new EpisodeSpec("run/0", 1, 0, TASK, 0),
                    new EpisodeSpec("run/1", 1, 1, TASK, 0));
            for (Episode e : runner.run(specs, 0, 0, 0)) {
                assertTrue(e.outcome().rewarded(), e.outcome().toString());
                assertTrue(e.steps().size() >= 1);
            }
            assertEquals(2, server.hits("/play/end"), "both episodes were ended");
        }
    }
}
