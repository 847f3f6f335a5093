package dev.groupflow.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class LengthVerifierTest {
    private static double tokens(int n) {
        LengthVerifier v = new LengthVerifier(new LengthVerifier.Settings(true, 100, 20));
        return v.score(new VerifyRequest("p", "text", null, Map.of(), n)).toCompletableFuture().join().value();
    }

    @Test
    void dapoSoftOverlongPunishment() {
        assertEquals(0.0, tokens(0));
        assertEquals(0.0, tokens(80));
        assertEquals(-1 / 20.0, tokens(81), 1e-12);
        assertEquals(-0.5, tokens(90), 1e-12);
        assertEquals(-1.0, tokens(100), 1e-12);
        assertEquals(-1.0, tokens(101));
        assertEquals(-1.0, tokens(1_000_000));
    }

    @Test
    void charactersAreCodePoints() {
        LengthVerifier v = new LengthVerifier(new LengthVerifier.Settings(false, 4, 2));
        // four code points (two of them outside the BMP, each two UTF-16 chars): at the hard limit
        Reward r = Requests.score(v, "a\uD83D\uDE00b\uD83D\uDE00", null);
        assertEquals(-1.0, r.value());
        assertEquals(-0.5, Requests.score(v, "abc", null).value());
        assertEquals(0.0, Requests.score(v, "ab", null).value());
    }

    @Test
    void countingTokensWithoutACountIsAFailure() {
        LengthVerifier v = new LengthVerifier(new LengthVerifier.Settings(true, 4, 2));
        Throwable t = Requests.failure(v, Requests.of("abc", null));
        assertTrue(t instanceof VerifierFailure && t.getMessage().contains("unit = chars"), String.valueOf(t));
    }

    @Test
    void tokenCountsTravelWithTheRequest() {
        VerifyRequest r = new VerifyRequest("p", "c", null, null);
        assertEquals(VerifyRequest.UNKNOWN_TOKENS, r.completionTokens());
        assertEquals(7, r.withCompletionTokens(7).completionTokens());
        assertTrue(r.withCompletionTokens(7).hasCompletionTokens());
    }
}
