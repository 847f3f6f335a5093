package dev.groupflow.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.groupflow.data.DataPosition;
import dev.groupflow.data.JsonlPrompts;
import dev.groupflow.model.tokenizer.CharTokenizer;
import dev.groupflow.verify.VerifyRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an admitted prompt carries from its row to the sampler and the verifier: a chat row's conversation (for a
 * verifier with its own chat template, such as a reward model) and the reference trace in policy tokens (for guided
 * rollouts); a guided rollout of it crosses JVMs whole.
 */
class PromptWorkTest {
    private static final CharTokenizer CHARS = new CharTokenizer("0123456789+=? abcdefghijklmnopqrstuvwxyz\n");

    @Test
    void aChatRowsConversationAndTraceReachTheVerifierAndTheSampler(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("p.jsonl"), """
                {"messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "what is 2+3?"}], "answer": "5", "guidance": "2+3=5 so 5"}
                {"prompt": "1+1=", "answer": "2"}
                """);
        try (JsonlPrompts source = JsonlPrompts.open(file, 1, false, 0)) {
            Ledger ledger = new Ledger(source, new PromptEncoder(CHARS, "off", 100), DataPosition.start());
            PromptWork chat = assertInstanceOf(Ledger.Admitted.class, ledger.admitNext()).prompt();
            PromptWork text = assertInstanceOf(Ledger.Admitted.class, ledger.admitNext()).prompt();
            assertArrayEquals(CHARS.encode("2+3=5 so 5"), chat.guidance());
            assertNull(text.guidance());
            Rollout guided = new Rollout(chat, 0, 0, CHARS.encode("2+5"), new float[] {Float.NaN, Float.NaN, -1f},
                    "2+5", false, 2);
            VerifyRequest r = guided.verifyRequest();
            assertEquals("what is 2+3?", r.prompt());
            assertEquals(List.of(Map.of("role", "system", "content", "be brief"),
                    Map.of("role", "user", "content", "what is 2+3?")), r.messages());
            assertEquals(3, r.completionTokens());
            assertNull(new Rollout(text, 0, 0, new int[] {2}, new float[] {-1f}, "2", false).verifyRequest()
                    .messages());
            ActorTestKit kit = ActorTestKit.create();
            try {
                Serialization cbor = SerializationExtension.get(kit.system().classicSystem());
                Rollout back = (Rollout) cbor.deserialize(cbor.serialize(guided).get(), Rollout.class).get();
                assertEquals(2, back.forced());
                assertArrayEquals(chat.guidance(), back.prompt().guidance());
                assertEquals(r, back.verifyRequest());
                assertTrue(Float.isNaN(back.logprobs()[0]) && back.logprobs()[2] == -1f);
            } finally {
                kit.shutdownTestKit();
            }
        }
    }
}
