package dev.groupflow.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code log.json = true}: each metrics line is one JSON object on one line of the stream. */
class JsonLogLinesTest {
    @Test
    void eachLineIsOneJsonObject() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        JsonLogLines out = new JsonLogLines(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("step", 1L);
        a.put("reward_mean", 0.5);
        a.put("kl", Double.NaN);
        out.accept(a);
        out.accept(Map.of("step", 2L, "note", "two\nlines"));
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(2, lines.length);
        ObjectMapper json = new ObjectMapper();
        JsonNode first = json.readTree(lines[0]);
        assertEquals(1, first.get("step").asLong());
        assertEquals(0.5, first.get("reward_mean").asDouble());
        assertEquals("NaN", first.get("kl").asText());
        assertEquals("two\nlines", json.readTree(lines[1]).get("note").asText());
    }
}
