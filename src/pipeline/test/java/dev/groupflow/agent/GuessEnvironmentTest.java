package dev.groupflow.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.groupflow.data.Prompt;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The built-in agent task: per-position feedback, rewards that sum to the final accuracy, history state keys. */
class GuessEnvironmentTest {
    private static LocalEnvironment.Session game(String secret, boolean chat) {
        return new GuessEnvironment(chat).start(new EpisodeStart("e", Prompt.text("t", "???:", secret), 0));
    }

    private static Transition guess(LocalEnvironment.Session s, String text) {
        return s.step(Action.plain(text, false));
    }

    @Test
    void feedbackPerPositionAndRewardsThatSumToTheFinalAccuracy() {
        LocalEnvironment.Session s = game("503", false);
        assertEquals(Observation.text("???:", ""), s.first());
        Transition t1 = guess(s, "555");
        assertEquals("=<<:", t1.observation().text());
        assertEquals(1.0 / 3, t1.reward(), 1e-12);
        Transition t2 = guess(s, "502\n");
        assertEquals("==>:", t2.observation().text());
        assertEquals(1.0 / 3, t2.reward(), 1e-12);
        Transition odd = guess(s, "5x3");
        assertEquals("=?=:", odd.observation().text(), "a position that is not a digit is unknown");
        assertEquals(0, odd.reward(), 1e-12);
        Transition worse = guess(s, "000");
        assertEquals(">=>:", worse.observation().text());
        assertEquals(-1.0 / 3, worse.reward(), 1e-12, "losing a right digit costs");
        Transition tooLong = guess(s, "5034");
        assertEquals("===:", tooLong.observation().text());
        assertEquals(3.0 / 4 - 1.0 / 3, tooLong.reward(), 1e-12, "a wrong length costs: 3 right of 4");
        assertFalse(tooLong.done());
        Transition found = guess(s, "503");
        assertEquals("===:", found.observation().text());
        assertTrue(found.done());
        assertFalse(t2.done());
        assertEquals(1.0, t1.reward() + t2.reward() + odd.reward() + worse.reward() + tooLong.reward()
                + found.reward(), 1e-12);
        Transition shortGuess = guess(game("503", false), "5");
        assertEquals("=??:", shortGuess.observation().text());
        assertEquals(1.0 / 3, shortGuess.reward(), 1e-12);
    }

    @Test
    void theTurnCostMakesEveryTurnPayAndTheReturnTheFinalAccuracyLessTheTurns() {
        LocalEnvironment.Session s = new GuessEnvironment(false, 0.05)
                .start(new EpisodeStart("e", Prompt.text("t", "???:", "503"), 0));
        Transition first = guess(s, "555");
        assertEquals(1.0 / 3 - 0.05, first.reward(), 1e-12);
        Transition again = guess(s, "555");
        assertEquals(-0.05, again.reward(), 1e-12, "the same guess again learns nothing and costs");
        Transition found = guess(s, "503");
        assertTrue(found.done());
        assertEquals(1.0 - 3 * 0.05, first.reward() + again.reward() + found.reward(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> new GuessEnvironment(false, -0.1));
    }

    @Test
    void stateKeysAreTheHistoryOfGuessesAndAnswers() {
        LocalEnvironment.Session a = game("503", false);
        LocalEnvironment.Session b = game("503", false);
        assertEquals(a.first().stateKey(), b.first().stateKey(), "a group starts from one state");
        String ka = guess(a, "555").observation().stateKey();
        assertEquals(ka, guess(b, "555").observation().stateKey());
        assertEquals("555=<<", ka);
        assertNotEquals(guess(a, "502").observation().stateKey(), guess(b, "501").observation().stateKey());
    }

    @Test
    void chatModeOffersTheToolAndAnswersCallsWithToolMessages() {
        LocalEnvironment.Session s = game("42", true);
        Observation first = s.first();
        assertEquals(List.of(GuessEnvironment.GUESS_TOOL), first.tools());
        assertEquals("user", first.messages().get(0).get("role"));
        Transition t = s.step(new Action("", "", List.of(new ToolCall("guess", Map.of("digits", "47"))), List.of(),
                false));
        assertEquals(List.of(Map.of("role", "tool", "content", "=<")), t.observation().messages());
        Transition none = s.step(new Action("hm", "hm", List.of(), List.of("tool call 1 is not JSON"), false));
        assertEquals("user", none.observation().messages().get(0).get("role"));
        assertTrue(none.observation().messages().get(0).get("content").toString().contains("is not JSON"));
        assertEquals(0, none.reward());
    }

    @Test
    void aTaskWithoutASecretIsRefused() {
        EnvironmentFailure e = assertThrows(EnvironmentFailure.class, () -> new GuessEnvironment(false)
                .start(new EpisodeStart("e", Prompt.text("row-7", "x", null), 0)));
        assertTrue(e.getMessage().contains("row-7") && !e.retryable(), e.getMessage());
    }

    @Test
    void tasksAreDeterministicAndTheHeldOutSplitIsDisjoint() {
        GuessTask train = new GuessTask(2, 3, 7, false);
        GuessTask held = train.heldOut();
        Set<String> seen = new HashSet<>();
        for (int n = 0; n < 400; n++) {
            Prompt p = train.at(n);
            assertEquals(p, new GuessTask(2, 3, 7, false).at(n));
            assertEquals(GuessTask.prompt(p.answer().length()), p.text());
            assertTrue(p.answer().length() >= 2 && p.answer().length() <= 3);
            assertFalse(train.isHeldOut(p.answer()), p.answer());
            seen.add(p.answer());
            Prompt h = held.at(n);
            assertTrue(held.isHeldOut(h.answer()), h.answer());
            assertTrue(h.id().startsWith("agent:guess:heldout:"));
        }
        assertTrue(seen.size() > 200, "tasks vary: " + seen.size());
        long heldOut = 0;
        for (int s = 0; s < 1000; s++) {
            heldOut += train.isHeldOut(String.format("%03d", s)) ? 1 : 0;
        }
        assertTrue(heldOut > 150 && heldOut < 250, "about a fifth held out (the default fraction): " + heldOut);
        GuessTask tenth = new GuessTask(2, 3, 10, 7, false, 0.1);
        long fewer = 0;
        for (int s = 0; s < 1000; s++) {
            boolean inTenth = tenth.isHeldOut(String.format("%03d", s));
            fewer += inTenth ? 1 : 0;
            assertTrue(!inTenth || train.isHeldOut(String.format("%03d", s)), "a smaller fraction holds out a subset");
        }
        assertTrue(fewer > 50 && fewer < 150, "about a tenth held out with 0.1: " + fewer);
        assertThrows(IllegalArgumentException.class, () -> new GuessTask(2, 3, 10, 7, false, 1.0));
        assertNotEquals(train.at(0), new GuessTask(2, 3, 8, false).at(0), "the seed changes the tasks");
    }

    @Test
    void aSplitWithoutSecretsIsRefusedRatherThanSearchedForever() {
        // one-digit secrets: ten strings, so for some seeds none is held out
        long seed = 0;
        while (hasHeldOutDigit(seed)) {
            seed++;
        }
        long empty = seed;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GuessTask(1, 1, empty, true));
        assertTrue(e.getMessage().contains("no held-out secret"), e.getMessage());
        assertEquals(1, new GuessTask(1, 1, empty, false).at(0).answer().length(), "training tasks still exist");
    }

    @Test
    void fewerDigitValuesGiveSecretsOfThoseValuesOnly() {
        GuessTask train = new GuessTask(3, 4, 4, 3, false);
        GuessTask held = train.heldOut();
        Set<String> seen = new HashSet<>();
        Set<String> heldSeen = new HashSet<>();
        for (int n = 0; n < 2000; n++) {
            String secret = train.at(n).answer();
            assertTrue(secret.matches("[0-3]{3,4}"), secret);
            seen.add(secret);
            String h = held.at(n).answer();
            assertTrue(h.matches("[0-3]{3,4}") && held.isHeldOut(h), h);
            heldSeen.add(h);
        }
        assertTrue(Collections.disjoint(seen, heldSeen), "the splits share no secret");
        // 4^3 + 4^4 = 320 strings, about a fifth held out
        assertTrue(seen.size() > 220 && heldSeen.size() > 35 && heldSeen.size() < 100, seen.size() + " / "
                + heldSeen.size());
        assertThrows(IllegalArgumentException.class, () -> new GuessTask(2, 2, 11, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new GuessTask(2, 2, 1, 0, false));
    }

    private static boolean hasHeldOutDigit(long seed) {
        GuessTask train = new GuessTask(1, 1, seed, false);
        for (int d = 0; d < 10; d++) {
            if (train.isHeldOut(String.valueOf(d))) {
                return true;
            }
        }
        return false;
    }
}
