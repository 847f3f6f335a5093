package dev.groupflow.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.groupflow.config.ConfigProblems;
import java.util.List;
import org.junit.jupiter.api.Test;

/** grpo.guidance: how many completions are guided, and every bad combination reported before the run starts. */
class GuidanceConfigTest {

    @Test
    void aCountOrAFractionOfEachGroupIsGuided() {
        RunConfig off = RunConfig.load(null, List.of());
        assertEquals(0, off.guidance().guided(off.grpo().groupSize()), "off by default");
        RunConfig count = RunConfig.load(null, List.of("grpo.group-size=8", "grpo.guidance.count=2",
                "grpo.guidance.initial-length=3", "grpo.guidance.max-length=4"));
        assertEquals(2, count.guidance().guided(8));
        RunConfig fraction = RunConfig.load(null, List.of("grpo.group-size=8", "grpo.guidance.fraction=0.375",
                "grpo.guidance.initial-length=3", "grpo.guidance.max-length=4"));
        assertEquals(3, fraction.guidance().guided(8));
        assertTrue(RunConfig.load(null, List.of("grpo.guidance.train-forced=true")).grpo().passes().trainForced());
    }

    @Test
    void everyProblemIsReportedTogether() {
        ConfigProblems e = assertThrows(ConfigProblems.class, () -> RunConfig.load(null, List.of("grpo.group-size=4",
                "grpo.guidance.count=5", "grpo.guidance.fraction=0.5", "grpo.guidance.initial-length=9",
                "grpo.guidance.max-length=8", "sampling.max-new-tokens=8")));
        String all = String.join("\n", e.problems());
        assertTrue(all.contains("grpo.guidance.count: 5 is more than grpo.group-size 4"), all);
        assertTrue(all.contains("grpo.guidance.fraction: set either"), all);
        assertTrue(all.contains("grpo.guidance.initial-length: must be in [1, grpo.guidance.max-length = 8]"), all);
        assertTrue(all.contains("grpo.guidance.max-length: must be less than sampling.max-new-tokens (8)"), all);
        e = assertThrows(ConfigProblems.class, () -> RunConfig.load(null, List.of("grpo.guidance.count=2",
                "grpo.guidance.initial-length=3", "grpo.guidance.max-length=4", "cluster.enabled=true",
                "cluster.remote-samplers=true")));
        assertTrue(String.join("\n", e.problems()).contains("guided rollouts need the learner's own sampler"),
                e.getMessage());
    }
}
