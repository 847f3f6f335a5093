package dev.groupflow.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import ai.djl.ndarray.NDManager;
import dev.groupflow.model.RewardModel;
import dev.groupflow.model.tokenizer.CharTokenizer;
import dev.groupflow.model.tokenizer.Tokenizers;
import dev.groupflow.run.RunConfig;
import dev.groupflow.run.RunVerifiers;
import dev.groupflow.verify.Reward;
import dev.groupflow.verify.RewardModelVerifier;
import dev.groupflow.verify.Verifier;
import dev.groupflow.verify.VerifyRequest;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reward-model verifier on a verifier worker: built from the worker's configuration as {@code groupflow worker
 * --role verifier} builds it, fed by the worker's consumers (one job each) through the learner's
 * {@link RemoteVerifier}, it scores the jobs of several consumers in one batch, each equal to the reward model's score
 * of its text alone; the learner's calls return at once (the stream goes on sampling while the worker scores). The
 * worker and the learner share one actor system here; the jobs and answers are checked to survive the CBOR
 * serialization that carries them between JVMs.
 */
class RemoteRewardModelTest {
    private static final CharTokenizer CHARS = new CharTokenizer("0123456789+=? abcdefghijklmnopqrstuvwxyz");
    private static final int JOBS = 6;

    @TempDir
    Path tmp;

    private Path rewardModel() throws Exception {
        Path dir = tmp.resolve("rm");
        Files.createDirectories(dir);
        Path fixture;
        try {
            fixture = Path.of(getClass().getResource("/fixtures/reward-models/tiny-qwen2-rm").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        for (String f : List.of("config.json", "model.safetensors")) {
            Files.copy(fixture.resolve(f), dir.resolve(f));
        }
        Tokenizers.save(CHARS, dir);
        return dir;
    }

    @Test
    void aWorkersRewardModelBatchesTheJobsOfItsConsumers() throws Exception {
        Path dir = rewardModel();
        Path prompts = Files.writeString(tmp.resolve("prompts.jsonl"), "{\"prompt\": \"1+2=\", \"answer\": \"3\"}\n");
        // the worker's configuration: the verifier section, and data.prompts naming a file (never read)
        RunConfig worker = RunConfig.load(null, List.of("cluster.enabled=true", "data.prompts=" + prompts,
                "verifier.name=reward-model", "verifier.reward-model.path=" + dir, "verifier.reward-model.device=cpu",
                "verifier.reward-model.batch-size=" + JOBS, "verifier.reward-model.batch-wait=60s"));
        ScheduledExecutorService timers = RunVerifiers.timers("test-worker-timer");
        Verifier verifier = RunVerifiers.configured(worker, timers);
        ActorTestKit kit = ActorTestKit.create();
        try {
            RewardModelVerifier model = assertInstanceOf(RewardModelVerifier.class, verifier);
            for (int i = 0; i < JOBS; i++) {
                kit.spawn(VerifierWorker.consumer(verifier), "verifier-" + i);
            }
            RemoteVerifier remote = new RemoteVerifier();
            TestProbe<String> bound = kit.createTestProbe();
            kit.spawn(Behaviors.setup(ctx -> {
                remote.bind(ctx);
                bound.ref().tell("bound");
                return Behaviors.empty();
            }), "learner");
            bound.expectMessage("bound"); // as the training supervisor binds it before the stream starts
            List<VerifyRequest> requests = new ArrayList<>();
            List<CompletableFuture<Reward>> answers = new ArrayList<>();
            for (int i = 0; i < JOBS; i++) {
                VerifyRequest r = new VerifyRequest(i + "+" + i + "=", Integer.toString(2 * i + (i % 2)), null,
                        Map.of(), 2);
                requests.add(r);
                answers.add(remote.score(r).toCompletableFuture());
                if (i == 0) {
                    // the call returned at once: the worker's batch waits for more (batch-wait 60 s), nothing blocks
                    assertFalse(answers.get(0).isDone(), "a lone job waits in the worker's batch, not the caller");
                }
            }
            for (int i = 0; i < JOBS; i++) {
                Reward r = answers.get(i).get(120, TimeUnit.SECONDS);
                int[] ids = CHARS.encode(requests.get(i).prompt() + requests.get(i).completion());
                assertEquals(alone(dir, ids), r.value(), 1e-5, "job " + i);
            }
            assertEquals(new RewardModelVerifier.Stats(1, JOBS, JOBS), model.stats(), "one batch of all consumers");
            Serialization cbor = SerializationExtension.get(kit.system().classicSystem());
            VerifyRequest chat = new VerifyRequest("hi", "5", null, Map.of(), 1,
                    List.of(Map.of("role", "user", "content", "what is 2+3?")));
            VerifyJob job = new VerifyJob(7, chat, kit.<VerifyAnswer>createTestProbe().ref());
            assertEquals(chat, ((VerifyJob) cbor.deserialize(cbor.serialize(job).get(), VerifyJob.class).get())
                    .request(), "a chat prompt's conversation reaches the worker");
            VerifyAnswer answer = new VerifyAnswer(7, Reward.of(0.25).withAnswer("5"), null, "w");
            assertEquals(answer, cbor.deserialize(cbor.serialize(answer).get(), VerifyAnswer.class).get());
        } finally {
            kit.shutdownTestKit();
            verifier.close();
            timers.shutdownNow();
        }
    }

    private static float alone(Path dir, int[] ids) {
        try (NDManager m = NDManager.newBaseManager(); RewardModel rm = RewardModel.load(dir, m)) {
            return rm.score(List.of(ids), RewardModel.Padding.LEFT)[0];
        }
    }
}
