package dev.groupflow.verify;

import static dev.groupflow.verify.Requests.score;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class JsonVerifierTest {
    private static JsonVerifier json(boolean fenced, List<String> required, boolean compare) {
        return new JsonVerifier(new JsonVerifier.Settings(fenced, required, compare, 10_000));
    }

    @Test
    void wellFormedOrNot() {
        JsonVerifier v = json(false, List.of(), false);
        assertEquals(1.0, score(v, " {\"a\": 1} ", null).value());
        assertEquals(1.0, score(v, "[1, 2]", null).value());
        assertEquals(1.0, score(v, "3", null).value());
        assertEquals(0.0, score(v, "{\"a\": 1", null).value());
        assertEquals(0.0, score(v, "{\"a\": 1} trailing", null).value());
        assertEquals(0.0, score(v, "{\"a\": 1, \"a\": 2}", null).value());
        assertEquals(0.0, score(v, "", null).value());
        assertEquals(0.0, score(v, "{a: 1}", null).value());
        Reward r = score(v, "{\"a\": NaN}", null);
        assertEquals(0.0, r.value());
        assertTrue(r.details().startsWith("malformed JSON"), r.details());
    }

    @Test
    void requiredFields() {
        JsonVerifier v = json(false, List.of("name", "age"), false);
        assertEquals(1.0, score(v, "{\"name\": \"x\", \"age\": 3, \"more\": true}", null).value());
        Reward missing = score(v, "{\"name\": \"x\"}", null);
        assertEquals(0.0, missing.value());
        assertTrue(missing.details().contains("[age]"), missing.details());
        assertEquals(0.0, score(v, "[\"name\", \"age\"]", null).value());
    }

    @Test
    void fencedBlockIsTheLastOne() {
        JsonVerifier v = json(true, List.of(), false);
        assertEquals(1.0, score(v, "Here:\n```json\n{\"a\": 1}\n```\nDone.", null).value());
        assertEquals(0.0, score(v, "```json\n{\"a\": 1}\n```\nthen\n```json\n{broken\n```", null).value());
        assertEquals(0.0, score(v, "{\"a\": 1}", null).value());
        assertEquals(0.0, score(v, "```json\n{\"a\": 1}", null).value());
    }

    @Test
    void fieldsComparedWithTheAnswerGivePartialCredit() {
        JsonVerifier v = json(false, List.of("a", "b", "c", "d"), true);
        String answer = "{\"a\": 1, \"b\": \"x\", \"c\": [1, {\"k\": 2}], \"d\": null, \"e\": 5}";
        assertEquals(1.0, score(v, "{\"a\": 1.0, \"b\": \"x\", \"c\": [1, {\"k\": 2.00}], \"d\": null}", answer).value());
        Reward half = score(v, "{\"a\": 1, \"b\": \"y\", \"c\": [1, {\"k\": 2}]}", answer);
        assertEquals(0.5, half.value(), half.details());
        assertTrue(half.details().contains("[b, d]"), half.details());
        // without required fields, all of the answer's fields are compared
        JsonVerifier all = json(false, List.of(), true);
        assertEquals(0.8, score(all, "{\"a\": 1, \"b\": \"x\", \"c\": [1, {\"k\": 2}], \"d\": null}", answer).value(),
                1e-12);
    }

    @Test
    void anAnswerThatIsNotAnObjectIsAFailure() {
        JsonVerifier v = json(false, List.of(), true);
        Throwable t = Requests.failure(v, Requests.of("{}", "[1]"));
        assertTrue(t instanceof VerifierFailure && t.getMessage().contains("not a JSON object"), String.valueOf(t));
        assertTrue(Requests.failure(v, Requests.of("{}", null)) instanceof VerifierFailure);
    }

    @Test
    void sizeAndDepthAreCapped() {
        JsonVerifier small = new JsonVerifier(new JsonVerifier.Settings(false, List.of(), false, 100));
        assertEquals(0.0, score(small, "[" + "1,".repeat(100) + "1]", null).value());
        JsonVerifier v = new JsonVerifier(new JsonVerifier.Settings(false, List.of(), false, 1 << 20));
        Reward deep = score(v, "[".repeat(100_000) + "]".repeat(100_000), null);
        assertEquals(0.0, deep.value(), deep.details());
    }
}
