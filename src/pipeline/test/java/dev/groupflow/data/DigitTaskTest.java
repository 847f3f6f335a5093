package dev.groupflow.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.groupflow.verify.Reward;
import dev.groupflow.verify.TaskVerifier;
import dev.groupflow.verify.VerifyRequest;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The built-in task's hidden-rule variant: its answers, its guidance traces and its all-or-nothing scoring. */
class DigitTaskTest {

    private static Reward score(Prompt p, String completion) {
        return new TaskVerifier().score(new VerifyRequest(p.text(), completion, p.answer(), p.metadata()))
                .toCompletableFuture().join();
    }

    @Test
    void theHiddenRuleIsReverseThenShiftBySeven() {
        DigitTask hidden = new DigitTask("hidden", 3, 5, 0, false);
        assertEquals("8071", hidden.answer("4031")); // 1304, each digit + 7 mod 10
        assertEquals("90456", hidden.answer("98732")); // 23789, each digit + 7 mod 10

    }

    @Test
    void itsPromptsCarryTheirAnswerAsGuidanceAndAreScoredExactly() {
        DigitTask hidden = new DigitTask("hidden", 3, 5, 0, false);
        for (long n = 0; n < 20; n++) {
            Prompt p = hidden.at(n);
            String digits = p.text().substring(0, p.text().length() - 1);
            assertEquals(hidden.answer(digits), p.answer());
            assertEquals(p.answer(), p.guidance(), "the reference trace is the answer");
            assertEquals(Map.of("scoring", "exact"), p.metadata());
            assertEquals(1.0, score(p, p.answer()).value());
            // all positions but one right: no partial credit to climb
            String nearMiss = p.answer().substring(0, p.answer().length() - 1)
                    + (char) ('0' + (p.answer().charAt(p.answer().length() - 1) - '0' + 1) % 10);
            assertEquals(0.0, score(p, nearMiss).value());
            // reversing without the shift (what the reverse task rewards) scores nothing either
            String reversed = new StringBuilder(digits).reverse().toString();
            assertNotEquals(p.answer(), reversed);
            assertEquals(0.0, score(p, reversed).value());
        }
        // the other tasks keep partial credit
        Prompt reverse = new DigitTask("reverse", 4, 4, 0, false).at(0);
        assertTrue(reverse.metadata().isEmpty());
        String almost = reverse.answer().substring(0, 3) + (reverse.answer().charAt(3) == '0' ? "1" : "0");
        assertEquals(0.75, score(reverse, almost).value(), 1e-12);
    }
}
