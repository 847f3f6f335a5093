package dev.groupflow.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One row of a JSONL prompts file, decoded the one way both reads of it use (the scan that validates the file and
 * every later read of the row by its offset): strict UTF-8 (overlong forms, encoded surrogates, stray continuation
 * bytes and cut-off sequences are errors, never replaced), then Jackson, then the checks of the row's fields. A row
 * the scan accepts therefore reads back the same for as long as its bytes are unchanged.
 */
final class JsonlRow {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final TypeReference<LinkedHashMap<String, Object>> LINKED_MAP = new TypeReference<>() {
    };

    /** Why a row cannot be used, naming the field at fault. */
    static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;

        Invalid(String reason) {
            super(reason, null, false, false);
        }
    }

    private JsonlRow() {
    }

    /** The prompt of a row's bytes (without the line break); {@code defaultId} when the row has no "id". */
    static Prompt parse(byte[] bytes, String defaultId) throws Invalid {
        JsonNode row = tree(decode(bytes));
        String problem = problem(row);
        if (problem != null) {
            throw new Invalid(problem);
        }
        return prompt(row, defaultId);
    }

    /** The row's text, decoded strictly; an invalid byte sequence is an {@link Invalid} saying where it is. */
    static String decode(byte[] bytes) throws Invalid {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length); // UTF-8 never decodes to more chars than bytes
        CoderResult r = decoder.decode(in, out, true);
        if (!r.isError()) {
            r = decoder.flush(out);
        }
        if (r.isError()) {
            int at = in.position();
            throw new Invalid(where(bytes, at) + ": not valid UTF-8: " + Utf8Errors.describe(bytes, at)
                    + " at byte " + (at + 1) + " of the line");
        }
        return out.flip().toString();
    }

    private static JsonNode tree(String text) throws Invalid {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            String m = e.getOriginalMessage() == null ? String.valueOf(e.getMessage()) : e.getOriginalMessage();
            throw new Invalid("not valid JSON: " + m.lines().findFirst().orElse(m));
        }
    }

    /**
     * Where in the row the invalid bytes at {@code at} are: the field whose string value they are in (found by
     * parsing the valid text before them), a field name, or outside any string.
     */
    private static String where(byte[] bytes, int at) {
        String before = new String(bytes, 0, at, StandardCharsets.UTF_8); // valid: the decoder stopped at `at`
        JsonParser p = null;
        try {
            p = JSON.getFactory().createParser(before);
            while (p.nextToken() != null) {
                if (p.currentToken() == JsonToken.VALUE_STRING) {
                    p.getText(); // a string still open at the end fails here, inside its field's context
                }
            }
            return "outside any string";
        } catch (JsonEOFException e) {
            String path = path(p.getParsingContext());
            if (e.getTokenBeingDecoded() == JsonToken.VALUE_STRING && !path.isEmpty()) {
                return "field '" + path + "'";
            }
            if (e.getTokenBeingDecoded() == JsonToken.FIELD_NAME) {
                String parent = path(p.getParsingContext().getParent());
                return parent.isEmpty() ? "a field name" : "a field name in '" + parent + "'";
            }
            return "outside any string";
        } catch (IOException e) {
            return "after JSON that is already malformed"; // the row is bad twice over; the bytes are named below
        } finally {
            close(p);
        }
    }

    private static void close(JsonParser p) {
        try {
            if (p != null) {
                p.close();
            }
        } catch (IOException ignored) {
            // a parser over a string
        }
    }

    /** A parser context as a field path: {@code messages[2].content}, {@code metadata.source}. */
    private static String path(JsonStreamContext ctx) {
        List<String> parts = new ArrayList<>();
        for (JsonStreamContext c = ctx; c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inArray()) {
                parts.add(0, "[" + Math.max(0, c.getCurrentIndex()) + "]");
            } else if (c.getCurrentName() != null) {
                parts.add(0, "." + c.getCurrentName());
            }
        }
        String s = String.join("", parts);
        return s.startsWith(".") ? s.substring(1) : s;
    }

    /** Null when the row is usable, else what is wrong with it (naming the field). */
    static String problem(JsonNode row) {
        if (row == null || !row.isObject()) {
            return "expected a JSON object";
        }
        JsonNode prompt = row.get("prompt");
        JsonNode messages = row.get("messages");
        if ((prompt == null || prompt.isNull()) == (messages == null || messages.isNull())) {
            return "field 'prompt' or 'messages': exactly one of them is required";
        }
        if (prompt != null && !prompt.isNull()) {
            if (!prompt.isTextual() || prompt.asText().isEmpty()) {
                return "field 'prompt': expected a non-empty string";
            }
        } else {
            if (!messages.isArray() || messages.isEmpty()) {
                return "field 'messages': expected a non-empty list";
            }
            for (int i = 0; i < messages.size(); i++) {
                JsonNode m = messages.get(i);
                if (!m.isObject()) {
                    return "field 'messages[" + i + "]': expected an object with role and content";
                }
                if (!m.path("role").isTextual()) {
                    return "field 'messages[" + i + "].role': expected a string";
                }
                if (!m.path("content").isTextual()) {
                    return "field 'messages[" + i + "].content': expected a string";
                }
            }
        }
        JsonNode answer = row.get("answer");
        if (answer != null && !answer.isNull() && !answer.isValueNode()) {
            return "field 'answer': expected a string or a number";
        }
        JsonNode metadata = row.get("metadata");
        if (metadata != null && !metadata.isNull() && !metadata.isObject()) {
            return "field 'metadata': expected an object";
        }
        JsonNode id = row.get("id");
        if (id != null && !id.isNull() && !id.isValueNode()) {
            return "field 'id': expected a string or a number";
        }
        return Utf8Errors.unpairedSurrogate(row, "");
    }

    private static Prompt prompt(JsonNode n, String defaultId) {
        String id = n.hasNonNull("id") ? n.get("id").asText() : defaultId;
        String answer = n.hasNonNull("answer") ? n.get("answer").asText() : null;
        Map<String, Object> metadata = n.hasNonNull("metadata") ? JSON.convertValue(n.get("metadata"), LINKED_MAP)
                : Map.of();
        if (n.hasNonNull("prompt")) {
            return new Prompt(id, n.get("prompt").asText(), null, answer, metadata);
        }
        List<Map<String, String>> messages = new ArrayList<>();
        for (Iterator<JsonNode> it = n.get("messages").elements(); it.hasNext(); ) {
            JsonNode m = it.next();
            Map<String, String> msg = new LinkedHashMap<>();
            msg.put("role", m.get("role").asText());
            msg.put("content", m.get("content").asText());
            messages.add(msg);
        }
        return new Prompt(id, null, messages, answer, metadata);
    }
}
