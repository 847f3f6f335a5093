package dev.groupflow.verify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a scoring service's reply: {@code {"reward": number, "components": {name: number}?, "details": text?}}.
 * Anything else (not JSON, no numeric reward, a non-finite one, a non-numeric component) is a
 * {@link VerifierFailure} that quotes the start of the body.
 */
final class HttpReply {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HttpReply() {
    }

    static Reward parse(byte[] body) {
        JsonNode n;
        try {
            n = JSON.readTree(body);
        } catch (IOException e) {
            throw bad("is not JSON", body);
        }
        if (n == null || !n.isObject()) {
            throw bad("is not a JSON object", body);
        }
        JsonNode reward = n.get("reward");
        if (reward == null || !reward.isNumber()) {
            throw bad("has no numeric \"reward\"", body);
        }
        double value = reward.doubleValue();
        if (!Double.isFinite(value)) {
            throw bad("has a non-finite reward", body);
        }
        Map<String, Double> components = new LinkedHashMap<>();
        JsonNode c = n.get("components");
        if (c != null && !c.isNull()) {
            if (!c.isObject()) {
                throw bad("has \"components\" that is not an object", body);
            }
            for (var e : (Iterable<Map.Entry<String, JsonNode>>) c::fields) {
                if (!e.getValue().isNumber() || !Double.isFinite(e.getValue().doubleValue())) {
                    throw bad("has a component \"" + e.getKey() + "\" that is not a finite number", body);
                }
                components.put(e.getKey(), e.getValue().doubleValue());
            }
        }
        JsonNode d = n.get("details");
        String details = d == null || d.isNull() ? "" : d.isTextual() ? d.asText() : d.toString();
        return new Reward(value, components, details);
    }

    private static VerifierFailure bad(String what, byte[] body) {
        return VerifierFailure.permanent("the reply " + what + ": " + preview(body));
    }

    /** The start of a body, for messages. */
    static String preview(byte[] body) {
        String s = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8).replaceAll("\\s+", " ");
        return s.isEmpty() ? "(empty body)" : "'" + s + (body.length > 200 ? "...'" : "'");
    }

    /** The request body sent for a verify request. */
    static byte[] request(VerifyRequest r) throws JsonProcessingException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("prompt", r.prompt());
        m.put("completion", r.completion());
        m.put("answer", r.answer());
        m.put("metadata", r.metadata());
        if (r.hasCompletionTokens()) {
            m.put("completion_tokens", r.completionTokens());
        }
        return JSON.writeValueAsBytes(m);
    }
}
