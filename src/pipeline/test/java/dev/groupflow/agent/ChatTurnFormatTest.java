package dev.groupflow.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.groupflow.data.Prompt;
import dev.groupflow.model.tokenizer.HfTokenizer;
import dev.groupflow.sampling.Completion;
import dev.groupflow.sampling.FinishReason;
import dev.groupflow.sampling.TurnSampler;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Multi-turn conversations through the real Qwen3 tokenizer and chat template (fixtures/qwen3-tokenizer): tools and
 * tool calls rendered as the template defines them, and whether a re-rendered conversation continues the tokens
 * the policy already saw (so its KV cache is extended) or not (so it is recomputed, and the episode says so).
 */
class ChatTurnFormatTest {
    private static final int IM_END = 151645;
    private static HfTokenizer qwen;

    @BeforeAll
    static void load() throws Exception {
        qwen = HfTokenizer.load(Path.of(ChatTurnFormatTest.class.getResource("/fixtures/qwen3-tokenizer").toURI()),
                Set.of());
    }

    @AfterAll
    static void close() {
        qwen.close();
    }

    private static ChatTurnFormat format(Map<String, Object> variables) {
        return new ChatTurnFormat(qwen, qwen.chatTemplate(), ToolCallFormat.QWEN, variables);
    }

    private static Observation firstObservation() {
        return new GuessEnvironment(true).start(new EpisodeStart("e", Prompt.text("t", "", "503"), 0)).first();
    }

    /** The turn a model would generate: the text's tokens and the end-of-turn token. */
    private static Completion turn(String text) {
        int[] ids = Arrays.copyOf(qwen.encode(text), qwen.encode(text).length + 1);
        ids[ids.length - 1] = IM_END;
        return new Completion(0, 0, ids, new float[ids.length], qwen.decode(ids, true), FinishReason.STOP, null);
    }

    private static boolean startsWith(int[] tokens, int[] prefix) {
        return tokens.length >= prefix.length && Arrays.equals(tokens, 0, prefix.length, prefix, 0, prefix.length);
    }

    private static final Observation TOOL_ANSWER = Observation.messages(
            List.of(Map.of("role", "tool", "content", "=<<")), null, "555=<<");

    @Test
    void aTurnEndsAtTheTokenTheTemplateClosesAnAssistantMessageWith() {
        // Qwen3's base checkpoints end sequences with <|endoftext|>; the template closes a turn with <|im_end|>
        int endOfText = qwen.tokenId("<|endoftext|>");
        assertEquals(Set.of(endOfText, IM_END), format(Map.of()).turnEnds(Set.of(endOfText)));
        assertEquals(Set.of(IM_END), format(Map.of()).turnEnds(Set.of(IM_END)));
        assertEquals(Set.of(endOfText), new PlainTurnFormat(qwen, ToolCallFormat.QWEN).turnEnds(Set.of(endOfText)),
                "plain turns end at the end-of-sequence tokens only");
    }

    @Test
    void theToolsAreRenderedByTheTemplateAndAToolCallTurnIsContinued() {
        TurnFormat.Transcript chat = format(Map.of()).begin(firstObservation());
        String prompt = qwen.decode(chat.context(), false);
        assertTrue(prompt.startsWith("<|im_start|>system\n# Tools\n"), prompt);
        assertTrue(prompt.contains("\"name\": \"guess\""), prompt);
        assertTrue(prompt.endsWith("<|im_start|>assistant\n"), prompt);

        Completion policy = turn("<tool_call>\n{\"name\": \"guess\", \"arguments\": {\"digits\": \"555\"}}\n</tool_call>");
        Action action = chat.act(policy);
        assertEquals(List.of(new ToolCall("guess", Map.of("digits", "555"))), action.toolCalls());
        int[] seen = chat.context();
        String added = chat.observe(TOOL_ANSWER);
        assertTrue(startsWith(chat.context(), seen), "the template wrote the call exactly as the policy did");
        assertEquals("\n<|im_start|>user\n<tool_response>\n=<<\n</tool_response><|im_end|>\n<|im_start|>assistant\n",
                added);
        assertEquals(added, qwen.decode(Arrays.copyOfRange(chat.context(), seen.length, chat.context().length), false));

        // a second round continues too
        int[] before = Arrays.copyOf(chat.context(), chat.context().length);
        chat.act(turn("Closer.\n<tool_call>\n{\"name\": \"guess\", \"arguments\": {\"digits\": \"502\"}}\n</tool_call>"));
        int[] seen2 = chat.context();
        assertTrue(startsWith(seen2, before));
        chat.observe(Observation.messages(List.of(Map.of("role", "tool", "content", "==>")), null, "k"));
        assertTrue(startsWith(chat.context(), seen2), "content before a call renders as written");
    }

    @Test
    void aCallWrittenDifferentlyFromTheTemplateIsReRendered() {
        TurnFormat.Transcript chat = format(Map.of()).begin(firstObservation());
        chat.act(turn("<tool_call>\n{\"name\":\"guess\",\"arguments\":{\"digits\":\"555\"}}\n</tool_call>"));
        int[] seen = chat.context();
        chat.observe(TOOL_ANSWER);
        assertFalse(startsWith(chat.context(), seen), "the template re-serialises the call with its own spacing");
        assertTrue(qwen.decode(chat.context(), false).contains(
                "<tool_call>\n{\"name\": \"guess\", \"arguments\": {\"digits\": \"555\"}}\n</tool_call>"));
    }

    @Test
    void aMalformedCallStaysAsWrittenSoTheConversationIsContinued() {
        TurnFormat.Transcript chat = format(Map.of()).begin(firstObservation());
        Action action = chat.act(turn("<tool_call>\n{\"name\": \"guess\", \"arguments\": {\"digits\": 5\n</tool_call>"));
        assertTrue(action.toolCalls().isEmpty());
        assertEquals(1, action.toolCallErrors().size());
        int[] seen = chat.context();
        Observation hint = Observation.messages(List.of(Map.of("role", "user", "content", "Call the guess tool.")),
                null, "k");
        chat.observe(hint);
        assertTrue(startsWith(chat.context(), seen));
    }

    @Test
    void withThinkingDisabledTheTemplateDropsTheEmptyThinkBlockOfEarlierTurns() {
        // Qwen3's generation prompt with enable_thinking=false ends in an empty <think></think> block, which the
        // template does not write again for an earlier assistant turn: the context cannot be continued
        TurnFormat.Transcript chat = format(Map.of("enable_thinking", false)).begin(firstObservation());
        assertTrue(qwen.decode(chat.context(), false).endsWith("<|im_start|>assistant\n<think>\n\n</think>\n\n"));
        chat.act(turn("<tool_call>\n{\"name\": \"guess\", \"arguments\": {\"digits\": \"555\"}}\n</tool_call>"));
        int[] seen = chat.context();
        chat.observe(TOOL_ANSWER);
        assertFalse(startsWith(chat.context(), seen));
        String shared = qwen.decode(Arrays.copyOf(seen, Arrays.mismatch(seen, chat.context())), false);
        assertTrue(shared.endsWith("<|im_start|>assistant\n"),
                "they part where the earlier turn's think block was: ..." + shared.substring(shared.length() - 40));
    }

    @Test
    void anEpisodeRecordsANewContextWhenTheRenderingDiverges() {
        EpisodeState state = new EpisodeState(new EpisodeSpec("e", 1, 0, Prompt.text("t", "", "503"), 0),
                format(Map.of("enable_thinking", false)), new EpisodeLimits(4, 4096, 64));
        state.started(firstObservation());
        TurnFormat.Transcript probe = format(Map.of("enable_thinking", false)).begin(firstObservation());
        int[] prompt = probe.context();
        Completion policy = turn("<tool_call>\n{\"name\": \"guess\", \"arguments\": {\"digits\": \"555\"}}\n</tool_call>");
        state.request();
        state.turned(new TurnSampler.Turn(policy, null, 0, prompt.length, false), 3);
        state.stepped(new Transition(TOOL_ANSWER, 1.0 / 3, false));
        state.end(new EpisodeOutcome.Truncated(EpisodeOutcome.Limit.MAX_TURNS));
        Episode e = state.episode();
        assertEquals(List.of(Segment.Kind.CONTEXT, Segment.Kind.POLICY, Segment.Kind.CONTEXT),
                e.segments().stream().map(Segment::kind).toList());
        assertEquals(1, e.contextResets());
        assertEquals(null, e.sequence(), "no single sequence holds both contexts");
        assertArrayEquals(prompt, e.turnRows().get(0).context());
        assertEquals(3, e.turnRows().get(0).policyVersion());
    }
}
