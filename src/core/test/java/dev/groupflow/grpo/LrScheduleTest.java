package dev.groupflow.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LrScheduleTest {

    @Test
    void constantNeverChanges() {
        LrSchedule s = LrSchedule.constant(1e-3);
        assertEquals(1e-3, s.at(0));
        assertEquals(1e-3, s.at(1_000_000));
    }

    @Test
    void warmupRisesLinearlyThenHolds() {
        LrSchedule s = new LrSchedule(LrSchedule.Kind.WARMUP, 1.0, 4, 100, 0);
        assertEquals(0.25, s.at(0));
        assertEquals(0.75, s.at(2));
        assertEquals(1.0, s.at(3));
        assertEquals(1.0, s.at(99));
    }

    @Test
    void cosineWarmsUpThenDecaysToTheFloorAtTheEnd() {
        LrSchedule s = new LrSchedule(LrSchedule.Kind.COSINE, 2.0, 10, 110, 0.1);
        assertEquals(0.2, s.at(0), 1e-12);
        assertEquals(2.0, s.at(10), 1e-12);                                   // start of the decay
        assertEquals(2.0 * (0.1 + 0.9 * 0.5), s.at(60), 1e-12);               // half way: the midpoint
        assertEquals(0.2, s.at(110), 1e-12);                                  // the floor
        assertEquals(0.2, s.at(500), 1e-12);                                  // and it stays there
    }
}
