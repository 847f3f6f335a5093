package dev.groupflow.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.groupflow.testkit.VariantCases;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Majority voting: every {@code majority} case of the fixtures, ties, and completions without an answer. */
class MajorityVoteTest {

    @TestFactory
    Stream<DynamicNode> everyMajorityCaseMatchesTheReference() {
        return VariantCases.of("majority", c -> "n=" + c.get("answers").size(), c -> {
            JsonNode n = c.node();
            List<String> answers = new ArrayList<>();
            n.get("answers").forEach(a -> answers.add(a.isNull() ? null : a.asText()));
            boolean[] correct = new boolean[answers.size()];
            for (int i = 0; i < correct.length; i++) {
                correct[i] = n.get("correct").get(i).asBoolean();
            }
            MajorityVote.Result r = MajorityVote.of(answers, correct);
            JsonNode expected = n.get("majority_answer");
            assertEquals(expected.isNull() ? null : expected.asText(), r.answer());
            assertEquals(n.get("majority_correct").asBoolean(), r.correct());
        });
    }

    @Test
    void tiesGoToTheAnswerSeenFirst() {
        MajorityVote.Result r = MajorityVote.of(Arrays.asList("B", "A", "A", "B", null, null, null),
                new boolean[] {false, true, true, false, false, false, false});
        assertEquals("B", r.answer());
        assertFalse(r.correct());
        assertEquals(2, r.votes());
        // the research note's example: [A, B, A, C] with [1, 0, 1, 0] is correct
        assertTrue(MajorityVote.of(List.of("A", "B", "A", "C"), new boolean[] {true, false, true, false}).correct());
    }

    @Test
    void noAnswerMeansNoVote() {
        MajorityVote.Result r = MajorityVote.of(Arrays.asList(null, null), new boolean[] {true, true});
        assertNull(r.answer());
        assertFalse(r.correct());
        assertEquals(0, r.votes());
        assertThrows(IllegalArgumentException.class, () -> MajorityVote.of(List.of("a"), new boolean[2]));
    }
}
