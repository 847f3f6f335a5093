package dev.groupflow.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** ℓ by policy version: recorded after each step for the next version, kept for the versions still sampled with. */
class GuidanceScheduleTest {

    @Test
    void eachVersionKeepsTheLengthItWasGiven() {
        GuidanceSchedule s = new GuidanceSchedule(GuidanceLength.start(384, 768), 0, 3);
        s.afterStep(1, 0.30);
        s.afterStep(2, 0.34);
        assertEquals(384, s.lengthAt(2), "two accuracies collected, no update yet");
        s.afterStep(3, 0.25); // the research note's first worked example: 384 -> 491
        assertEquals(491, s.lengthAt(3));
        assertEquals(491, s.current());
        assertEquals(384, s.lengthAt(2), "version 2 still samples with its own length");
        assertEquals(491, s.lengthAt(7), "a later version not yet recorded: the newest");
        assertEquals(384, s.lengthAt(0), "forgotten (only 3 kept): the oldest kept");
        s.afterStep(4, Double.NaN);
        assertEquals(List.of(), s.state().length().cycle(), "a step without any reward is not counted");
        assertEquals(Map.of(2L, 384, 3L, 491, 4L, 491), s.state().byVersion());
    }

    @Test
    void theStateRoundTripsThroughJsonAndContinuesTheCycle() throws Exception {
        GuidanceSchedule s = new GuidanceSchedule(GuidanceLength.start(384, 768), 5, 4);
        s.afterStep(6, 0.30);
        s.afterStep(7, 0.34);
        ObjectMapper json = new ObjectMapper();
        GuidanceSchedule.State read = json.readValue(json.writeValueAsString(s.state()), GuidanceSchedule.State.class);
        assertEquals(s.state(), read);
        GuidanceSchedule resumed = new GuidanceSchedule(read, 4);
        resumed.afterStep(8, 0.40);
        s.afterStep(8, 0.40);
        assertEquals(307, resumed.current(), "the research note's second worked example");
        assertEquals(s.state(), resumed.state());
    }
}
