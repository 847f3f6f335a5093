package dev.groupflow.agent;

import dev.groupflow.CborSerializable;
import java.util.List;
import java.util.Map;

/**
 * What the environment shows the policy: plain text or chat messages.
 *
 * <p>At the start of an episode it is the whole initial context (a text prompt, or the conversation so far, such
 * as a system and a user message, plus the tool schemas the policy may call). After a step it is what is appended
 * to the context: text, or messages (a {@code tool} message with a tool's result, or a {@code user} message).
 * With a chat template the conversation is re-rendered by the model's own template; plain text is tokenized and
 * appended as it is.
 *
 * @param text plain text, or null when {@code messages} is given
 * @param messages chat messages ({@code role}, {@code content}, ...), or null when {@code text} is given
 * @param tools tool schemas in the function-calling format chat templates take ({@code {"type": "function",
 *     "function": {"name", "description", "parameters"}}}); only at the start; null = none
 * @param stateKey the state the policy's next action is taken from, for GiGPO's step groups: steps whose keys are
 *     equal share a group, so equal keys must mean the same state (for example the history of feedback so far);
 *     null = the rendered context the policy sees
 */
public record Observation(String text, List<Map<String, Object>> messages, List<Map<String, Object>> tools,
                          String stateKey) implements CborSerializable {

    public Observation {
        if ((text == null) == (messages == null)) {
            throw new IllegalArgumentException("an observation has exactly one of text and messages");
        }
    }

    /** A plain-text observation. */
    public static Observation text(String text, String stateKey) {
        return new Observation(text, null, null, stateKey);
    }

    /** Chat messages to append (after a step), or the initial conversation with tools (at the start). */
    public static Observation messages(List<Map<String, Object>> messages, List<Map<String, Object>> tools,
                                       String stateKey) {
        return new Observation(null, messages, tools, stateKey);
    }
}
