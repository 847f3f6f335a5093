package dev.groupflow.agent;

import dev.groupflow.CborSerializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One tool call the policy made.
 *
 * @param name the tool's name
 * @param arguments its arguments, in the order the policy wrote them (a chat template re-renders them in this
 *     order, so the re-rendered call can match the tokens the policy produced)
 */
public record ToolCall(String name, Map<String, Object> arguments) implements CborSerializable {

    public ToolCall {
        arguments = arguments == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(arguments));
    }

    /** The call as a chat message's {@code tool_calls} entry: {@code {"type": "function", "function": {...}}}. */
    public Map<String, Object> asMessageEntry() {
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", name);
        function.put("arguments", arguments);
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("type", "function");
        entry.put("function", function);
        return entry;
    }
}
