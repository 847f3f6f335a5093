package dev.groupflow.verify;

import static dev.groupflow.verify.Requests.score;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ExactMatchVerifierTest {
    @Test
    void defaultIgnoresCaseAndSurroundingWhitespaceButNotPunctuation() {
        ExactMatchVerifier v = new ExactMatchVerifier();
        assertEquals(1.0, score(v, "  Paris \n", "paris").value());
        assertEquals(1.0, score(v, "New   York", "new york").value());
        assertEquals(0.0, score(v, "Paris.", "Paris").value());
        assertEquals(0.0, score(v, "Pariss", "Paris").value());
    }

    @Test
    void caseSensitiveOption() {
        ExactMatchVerifier v = new ExactMatchVerifier(new ExactMatchVerifier.Settings(true, false));
        assertEquals(0.0, score(v, "paris", "Paris").value());
        assertEquals(1.0, score(v, " Paris ", "Paris").value());
    }

    @Test
    void stripPunctuationOption() {
        ExactMatchVerifier v = new ExactMatchVerifier(new ExactMatchVerifier.Settings(false, true));
        assertEquals(1.0, score(v, "Paris.", "paris").value());
        assertEquals(1.0, score(v, "\"it's\" — yes!", "its yes").value());
        assertEquals(0.0, score(v, "Paris, France", "Paris").value());
    }

    @Test
    void aRowWithoutAnswerFailsWithoutRetry() {
        Throwable t = Requests.failure(new ExactMatchVerifier(), Requests.of("x", null));
        assertTrue(t instanceof VerifierFailure f && !f.retryable(), String.valueOf(t));
    }
}
