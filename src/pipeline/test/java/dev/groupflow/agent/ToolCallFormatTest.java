package dev.groupflow.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Qwen's tool-call blocks become calls; malformed ones become errors for the environment, never exceptions. */
class ToolCallFormatTest {
    private static Action qwen(String text) {
        return ToolCallFormat.QWEN.parse(text, false);
    }

    @Test
    void aWellFormedCallWithContentBeforeIt() {
        Action a = qwen("I will guess.\n<tool_call>\n{\"name\": \"guess\", \"arguments\": {\"digits\": \"503\", "
                + "\"why\": [1, 2]}}\n</tool_call>");
        assertEquals(List.of(new ToolCall("guess", Map.of("digits", "503", "why", List.of(1, 2)))), a.toolCalls());
        assertEquals(List.of("digits", "why"), List.copyOf(a.toolCalls().get(0).arguments().keySet()),
                "arguments keep the order the policy wrote them in");
        assertEquals("I will guess.", a.content(), "the newline before the call belongs to the call");
        assertTrue(a.toolCallErrors().isEmpty());
    }

    @Test
    void severalCallsAndTextBetweenThem() {
        Action a = qwen("<tool_call>\n{\"name\": \"a\", \"arguments\": {}}\n</tool_call>\nthen\n"
                + "<tool_call>{\"name\": \"b\", \"arguments\": \"{\\\"x\\\": 1}\"}</tool_call>\ndone");
        assertEquals(List.of(new ToolCall("a", Map.of()), new ToolCall("b", Map.of("x", 1))), a.toolCalls());
        assertEquals("then\ndone", a.content());
    }

    @Test
    void malformedCallsAreReportedAndKeptInTheContent() {
        String notJson = "<tool_call>\n{\"name\": \"guess\", \"arguments\": {\"digits\": 503\n</tool_call>";
        Action a = qwen("x " + notJson);
        assertTrue(a.toolCalls().isEmpty());
        assertEquals("x " + notJson, a.content(), "what the policy wrote stays, so a re-render reproduces it");
        assertEquals(1, a.toolCallErrors().size());
        assertTrue(a.toolCallErrors().get(0).startsWith("tool call 1 is not JSON"), a.toolCallErrors().toString());

        assertEquals(List.of("tool call 1 has no \"name\" string"),
                qwen("<tool_call>{\"arguments\": {}}</tool_call>").toolCallErrors());
        assertEquals(List.of("tool call 1 (f) has \"arguments\" that are not an object"),
                qwen("<tool_call>{\"name\": \"f\", \"arguments\": [1]}</tool_call>").toolCallErrors());
        assertEquals(List.of("tool call 1 is not a JSON object"), qwen("<tool_call>[1]</tool_call>").toolCallErrors());
        assertTrue(qwen("<tool_call>{\"name\": \"f\"} trailing</tool_call>").toolCallErrors().get(0)
                .startsWith("tool call 1 is not JSON"));
        assertTrue(qwen("<tool_call>{\"name\": \"f\", \"arguments\": \"{oops\"}</tool_call>").toolCallErrors().get(0)
                .startsWith("tool call 1 (f) has \"arguments\" text that is not JSON"));
    }

    @Test
    void anUnclosedCallAfterAGoodOne() {
        Action a = qwen("<tool_call>{\"name\": \"f\"}</tool_call>\n<tool_call>{\"name\": \"g\"");
        assertEquals(List.of(new ToolCall("f", Map.of())), a.toolCalls(), "a missing arguments object is empty");
        assertEquals(List.of("tool call 2 has no </tool_call>"), a.toolCallErrors());
        assertEquals("<tool_call>{\"name\": \"g\"", a.content());
    }

    @Test
    void plainTextIsTheAction() {
        Action a = ToolCallFormat.PLAIN.parse("503", true);
        assertEquals("503", a.content());
        assertTrue(a.toolCalls().isEmpty() && a.truncated());
        assertEquals("no calls", qwen("no calls").content());
    }
}
