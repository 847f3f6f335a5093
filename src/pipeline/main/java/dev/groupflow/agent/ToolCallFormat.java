package dev.groupflow.agent;

/**
 * How a turn's text becomes an {@link Action}: the tool calls the model's format marks, the rest as content.
 * Malformed calls never throw: each becomes a line of {@link Action#toolCallErrors()} for the environment to answer,
 * and its raw text stays in the content (so the re-rendered conversation shows what the policy wrote).
 */
public interface ToolCallFormat {

    /** Parses one turn. */
    Action parse(String text, boolean truncated);

    /** No tool calls: the whole text is the action (the built-in task's format). */
    ToolCallFormat PLAIN = Action::plain;

    /**
     * Qwen's (Hermes-style) calls: {@code <tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>}
     * ({@link QwenToolCalls}).
     */
    ToolCallFormat QWEN = new QwenToolCalls();
}
