package dev.groupflow.agent;

import dev.groupflow.CborSerializable;
import java.util.List;

/**
 * What the policy did in one turn.
 *
 * @param text the turn's text as generated (special tokens removed)
 * @param content the text outside tool calls (for a plain-text action, the whole text)
 * @param toolCalls the well-formed tool calls, in order (empty for a plain-text action)
 * @param toolCallErrors what was wrong with each malformed tool call (not JSON, no name, arguments not an object,
 *     an unclosed tag): reported to the environment, which answers as it sees fit (usually an error message to
 *     the policy), never a crash
 * @param truncated whether the turn hit its token limit before the policy ended it
 */
public record Action(String text, String content, List<ToolCall> toolCalls, List<String> toolCallErrors,
                     boolean truncated) implements CborSerializable {

    public Action {
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
        toolCallErrors = toolCallErrors == null ? List.of() : List.copyOf(toolCallErrors);
    }

    /** A plain-text action: no tool calls. */
    public static Action plain(String text, boolean truncated) {
        return new Action(text, text, List.of(), List.of(), truncated);
    }
}
