package dev.groupflow.agent;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Qwen's (Hermes-style) tool calls: {@code <tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>}, one block
 * per call, as Qwen2.5 and Qwen3 chat templates render them and the models write them. {@code arguments} may also
 * be a string holding a JSON object; a missing one is empty.
 *
 * <p>The content is the text outside well-formed calls, with the whitespace next to each removed call trimmed (the
 * template writes a newline there itself); a malformed call (not JSON, no name, arguments not an object, no
 * closing tag) stays in the content as written and is reported in {@link Action#toolCallErrors()}.
 */
final class QwenToolCalls implements ToolCallFormat {
    private static final String OPEN = "<tool_call>";
    private static final String CLOSE = "</tool_call>";
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    @Override
    public Action parse(String text, boolean truncated) {
        List<ToolCall> calls = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        Content content = new Content();
        int at = 0;
        for (int n = 1; ; n++) {
            int open = text.indexOf(OPEN, at);
            if (open < 0) {
                content.add(text.substring(at));
                break;
            }
            int close = text.indexOf(CLOSE, open + OPEN.length());
            if (close < 0) {
                content.add(text.substring(at));
                errors.add("tool call " + n + " has no " + CLOSE);
                break;
            }
            int end = close + CLOSE.length();
            try {
                ToolCall call = call(text.substring(open + OPEN.length(), close).strip());
                content.add(text.substring(at, open));
                content.removedCall();
                calls.add(call);
            } catch (IllegalArgumentException e) {
                content.add(text.substring(at, end));
                errors.add("tool call " + n + " " + e.getMessage());
            }
            at = end;
        }
        return new Action(text, content.toString(), calls, errors, truncated);
    }

    /** The text outside removed calls: the whitespace next to a removed call trimmed, one newline in its place. */
    private static final class Content {
        private final StringBuilder text = new StringBuilder();
        private boolean afterCall;

        void add(String piece) {
            if (afterCall) {
                piece = piece.stripLeading();
            }
            if (!piece.isEmpty()) {
                if (afterCall && text.length() > 0) {
                    text.append('\n');
                }
                text.append(piece);
                afterCall = false;
            }
        }

        void removedCall() {
            int keep = text.toString().stripTrailing().length();
            text.setLength(keep);
            afterCall = true;
        }

        @Override
        public String toString() {
            return text.toString();
        }
    }

    private ToolCall call(String body) {
        JsonNode n;
        try {
            n = JSON.readTree(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("is not JSON: " + firstLine(e.getMessage()));
        }
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("is not a JSON object");
        }
        JsonNode name = n.get("name");
        if (name == null || !name.isTextual() || name.asText().isBlank()) {
            throw new IllegalArgumentException("has no \"name\" string");
        }
        JsonNode args = n.get("arguments");
        if (args != null && args.isTextual()) {
            try {
                args = JSON.readTree(args.asText());
            } catch (IOException e) {
                throw new IllegalArgumentException("(" + name.asText() + ") has \"arguments\" text that is not "
                        + "JSON: " + firstLine(e.getMessage()));
            }
        }
        if (args != null && !args.isNull() && !args.isObject()) {
            throw new IllegalArgumentException("(" + name.asText() + ") has \"arguments\" that are not an object");
        }
        Map<String, Object> arguments = args == null || args.isNull() ? Map.of() : JSON.convertValue(args, MAP);
        return new ToolCall(name.asText(), arguments);
    }

    private String firstLine(String s) {
        int nl = s == null ? -1 : s.indexOf('\n');
        return nl < 0 ? String.valueOf(s) : s.substring(0, nl);
    }
}
