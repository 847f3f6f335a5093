package dev.groupflow.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.data.Prompt;
import dev.groupflow.verify.JsonPost;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The HTTP JSON protocol's bodies (docs/agents.md, "HTTP JSON protocol"): requests written from the SPI's records,
 * replies read into them. A reply that is not what the protocol says (not JSON, a missing or mistyped field, a
 * non-finite reward, an observation without text or messages) is an {@link EnvironmentFailure} that names the
 * field and quotes the start of the body; a reply {@code {"error": "...", "retryable": bool}} is the service's own
 * failure.
 */
final class EnvironmentJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<Map<String, Object>>> MAPS = new TypeReference<>() {
    };

    private EnvironmentJson() {
    }

    static byte[] start(EpisodeStart s) throws JsonProcessingException {
        Map<String, Object> task = new LinkedHashMap<>();
        Prompt p = s.task();
        task.put("id", p.id());
        if (p.text() != null) {
            task.put("prompt", p.text());
        } else {
            task.put("messages", p.messages());
        }
        task.put("answer", p.answer());
        task.put("metadata", p.metadata());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("episode_id", s.episodeId());
        m.put("seed", s.seed());
        m.put("task", task);
        return JSON.writeValueAsBytes(m);
    }

    static byte[] step(EpisodeStep s) throws JsonProcessingException {
        Action a = s.action();
        List<Map<String, Object>> calls = new ArrayList<>();
        for (ToolCall c : a.toolCalls()) {
            Map<String, Object> call = new LinkedHashMap<>();
            call.put("name", c.name());
            call.put("arguments", c.arguments());
            calls.add(call);
        }
        Map<String, Object> action = new LinkedHashMap<>();
        action.put("text", a.text());
        action.put("content", a.content());
        action.put("tool_calls", calls);
        action.put("tool_call_errors", a.toolCallErrors());
        action.put("truncated", a.truncated());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("episode_id", s.episodeId());
        m.put("turn", s.turn());
        m.put("action", action);
        return JSON.writeValueAsBytes(m);
    }

    static byte[] end(String episodeId) throws JsonProcessingException {
        return JSON.writeValueAsBytes(Map.of("episode_id", episodeId));
    }

    /** A start reply: {@code {"observation": {...}}}. */
    static Observation started(byte[] body) {
        JsonNode n = object(body);
        JsonNode o = n.get("observation");
        if (o == null || o.isNull()) {
            throw bad("has no \"observation\"", body);
        }
        return observation(o, body);
    }

    /** A step reply: {@code {"observation": {...} | null, "reward": number, "done": bool}}. */
    static Transition stepped(byte[] body) {
        JsonNode n = object(body);
        JsonNode reward = n.get("reward");
        if (reward == null || !reward.isNumber() || !Double.isFinite(reward.doubleValue())) {
            throw bad("has no finite numeric \"reward\"", body);
        }
        JsonNode done = n.get("done");
        if (done == null || !done.isBoolean()) {
            throw bad("has no boolean \"done\"", body);
        }
        JsonNode o = n.get("observation");
        Observation observation = o == null || o.isNull() ? null : observation(o, body);
        if (observation == null && !done.booleanValue()) {
            throw bad("has no \"observation\" for an episode that is not done", body);
        }
        return new Transition(observation, reward.doubleValue(), done.booleanValue());
    }

    /** An end reply: anything but an error. */
    static Boolean ended(byte[] body) {
        if (body.length > 0) {
            object(body);
        }
        return Boolean.TRUE;
    }

    private static JsonNode object(byte[] body) {
        JsonNode n = JsonPost.object(body, EnvironmentJson::bad);
        JsonNode error = n.get("error");
        if (error != null && !error.isNull()) {
            throw new EnvironmentFailure("the environment reported an error: "
                    + (error.isTextual() ? error.asText() : error.toString()), n.path("retryable").asBoolean(false));
        }
        return n;
    }

    private static Observation observation(JsonNode o, byte[] body) {
        if (!o.isObject()) {
            throw bad("has an \"observation\" that is not an object", body);
        }
        JsonNode text = o.get("text");
        JsonNode messages = o.get("messages");
        boolean hasText = text != null && !text.isNull();
        boolean hasMessages = messages != null && !messages.isNull();
        if (hasText == hasMessages) {
            throw bad("has an \"observation\" without exactly one of \"text\" and \"messages\"", body);
        }
        if (hasText && !text.isTextual()) {
            throw bad("has an \"observation.text\" that is not a string", body);
        }
        JsonNode key = o.get("state_key");
        if (key != null && !key.isNull() && !key.isTextual()) {
            throw bad("has an \"observation.state_key\" that is not a string", body);
        }
        String stateKey = key == null || key.isNull() ? null : key.asText();
        return new Observation(hasText ? text.asText() : null,
                hasMessages ? maps(messages, "observation.messages", body) : null,
                maps(o.get("tools"), "observation.tools", body), stateKey);
    }

    private static List<Map<String, Object>> maps(JsonNode n, String field, byte[] body) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isArray()) {
            throw bad("has \"" + field + "\" that is not an array", body);
        }
        for (JsonNode e : n) {
            if (!e.isObject()) {
                throw bad("has \"" + field + "\" with an element that is not an object", body);
            }
        }
        return JSON.convertValue(n, MAPS);
    }

    private static EnvironmentFailure bad(String what, byte[] body) {
        return new EnvironmentFailure("the reply " + what + ": " + JsonPost.preview(body), false);
    }
}
