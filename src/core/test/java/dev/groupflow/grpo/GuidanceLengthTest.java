package dev.groupflow.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.testkit.VariantCases;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** G²RPO-A's guidance length: every {@code guidance} case of the fixtures, the three-step cycle, the state's JSON. */
class GuidanceLengthTest {

    @TestFactory
    Stream<DynamicNode> everyGuidanceCaseMatchesTheReference() {
        return VariantCases.of("guidance", c -> "l=" + c.get("length") + " acc=" + c.get("accuracy"), c -> {
            JsonNode n = c.node();
            int length = n.get("length").asInt();
            int max = n.get("max_length").asInt();
            double h0 = n.get("history").get(0).asDouble();
            double h1 = n.get("history").get(1).asDouble();
            double acc = n.get("accuracy").asDouble();
            int expected = n.get("next_length").asInt();
            assertEquals(expected, GuidanceLength.next(length, max, h0, h1, acc));
            // the same through the state: two steps collect, the third updates
            GuidanceLength s = GuidanceLength.start(length, max).observe(h0).observe(h1);
            assertEquals(length, s.length(), "unchanged within a cycle");
            GuidanceLength after = s.observe(acc);
            assertEquals(expected, after.length());
            assertEquals(List.of(), after.cycle());
        });
    }

    @Test
    void cyclesFollowOneAnother() {
        GuidanceLength s = GuidanceLength.start(384, 768);
        s = s.observe(0.30).observe(0.34).observe(0.25); // 384 · 0.32 / 0.25 = 491.52
        assertEquals(491, s.length());
        s = s.observe(0.2).observe(0.2).observe(0.4);    // 491 · 0.2 / 0.4 = 245.5
        assertEquals(245, s.length());
        s = s.observe(0.9).observe(0.9).observe(0.0);    // acc 0: unchanged
        assertEquals(245, s.length());
        s = s.observe(0.9).observe(0.9).observe(0.001);  // capped at ℓ_max
        assertEquals(768, s.length());
        s = s.observe(0.001).observe(0.001).observe(1.0); // at least 1
        assertEquals(1, s.length());
    }

    @Test
    void theStateRoundTripsThroughJson() throws Exception {
        ObjectMapper json = new ObjectMapper();
        GuidanceLength s = GuidanceLength.start(100, 200).observe(0.5);
        GuidanceLength back = json.readValue(json.writeValueAsString(s), GuidanceLength.class);
        assertEquals(s, back);
        assertEquals(s.observe(0.7).observe(0.4), back.observe(0.7).observe(0.4));
    }

    @Test
    void badStatesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> GuidanceLength.start(0, 10));
        assertThrows(IllegalArgumentException.class, () -> GuidanceLength.start(11, 10));
        assertThrows(IllegalArgumentException.class, () -> new GuidanceLength(5, 10, List.of(0.1, 0.2, 0.3)));
        assertThrows(IllegalArgumentException.class, () -> GuidanceLength.start(5, 10).observe(Double.NaN));
    }
}
