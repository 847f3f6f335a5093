package dev.groupflow.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.groupflow.verify.Outcome;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** maj@n beside pass@k in an evaluation's report: votes over the canonical answers of each prompt's completions. */
class EvalReportTest {

    private static Outcome scored(double reward, String answer) {
        return new Outcome.Scored(reward, Map.of(), "", 1, 1.0, answer);
    }

    private static Outcome failed() {
        return new Outcome.Failed("broken", 1, 1.0);
    }

    @Test
    @SuppressWarnings("unchecked")
    void majorityOverAnswersBesidePassAtK() {
        EvalReport report = new EvalReport(4, 4, 1.0);
        // prompt 0: "7" wins 2:1 and is correct
        List.of(scored(1, "7"), scored(0, "3"), scored(1, "7"), failed()).forEach(o -> report.add(0, o));
        // prompt 1: "2" and "5" tie 2:2, "2" was seen first and is wrong; one correct sample makes pass@4 = 1
        List.of(scored(0, "2"), scored(1, "5"), scored(0, "2"), scored(1, "5")).forEach(o -> report.add(1, o));
        // prompt 2: only failures and completions without an answer: no vote
        List.of(failed(), scored(0, null), failed(), scored(1, null)).forEach(o -> report.add(2, o));
        // prompt 3: the failed samples' answers do not count, "9" wins 1:0
        List.of(failed(), scored(1, "9"), failed(), failed()).forEach(o -> report.add(3, o));
        Map<String, Object> r = report.toMap(List.of(2), 7);
        Map<String, Object> maj = (Map<String, Object>) ((Map<String, Object>) r.get("maj_at_k")).get("4");
        assertEquals(2 / 4.0, (Double) maj.get("estimate"), 1e-12); // prompts 0 and 3
        double[] ci = (double[]) maj.get("ci95");
        assertTrue(ci[0] <= 0.5 && 0.5 <= ci[1], ci[0] + ", " + ci[1]);
        Map<String, Object> pass4 = (Map<String, Object>) ((Map<String, Object>) r.get("pass_at_k")).get("4");
        assertEquals(1.0, (Double) pass4.get("estimate"), 1e-12); // every prompt has a correct completion
        assertEquals(6, r.get("completions_failed"));
    }

    @Test
    void withoutAnyAnswerThereIsNoMajority() {
        EvalReport report = new EvalReport(2, 2, 1.0);
        report.add(0, scored(1, null));
        report.add(0, scored(0, null));
        report.add(1, failed());
        report.add(1, scored(1, null));
        assertNull(report.toMap(List.of(), 0).get("maj_at_k"));
    }
}
