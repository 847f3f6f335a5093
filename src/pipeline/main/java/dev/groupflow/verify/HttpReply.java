package dev.groupflow.verify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a scoring service's reply: {@code {"reward": number, "components": {name: number}?, "details": text?,
 * "answer": text?}} ({@code answer}: the completion's canonical answer, for majority voting).
 * Anything else (not JSON, no numeric reward, a non-finite one, a non-numeric component, an answer that is not a
 * string) is a {@link VerifierFailure} that quotes the start of the body.
 */
final class HttpReply {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HttpReply() {
    }

    static Reward parse(byte[] body) {
        JsonNode n = JsonPost.object(body, HttpReply::bad);
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
        JsonNode a = n.get("answer");
        if (a != null && !a.isNull() && !a.isTextual()) {
            throw bad("has an \"answer\" that is not a string", body);
        }
        return new Reward(value, components, details, a == null || a.isNull() ? null : a.asText());
    }

    private static VerifierFailure bad(String what, byte[] body) {
        return VerifierFailure.permanent("the reply " + what + ": " + JsonPost.preview(body));
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
