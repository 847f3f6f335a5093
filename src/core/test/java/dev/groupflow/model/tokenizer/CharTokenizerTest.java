package dev.groupflow.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CharTokenizerTest {
    private final CharTokenizer t = new CharTokenizer("0123456789+=");

    @Test
    void encodesCharactersAfterTheSpecialIds() {
        assertArrayEquals(new int[] {4, 5, 13, 3, 14}, t.encode("12+0="));
        assertEquals("12+0=", t.decode(t.encode("12+0="), true));
        assertEquals(15, t.vocabSize());
    }

    @Test
    void specialTokenTextMapsToItsId() {
        assertArrayEquals(new int[] {CharTokenizer.BOS, 4, CharTokenizer.EOS}, t.encode("<bos>1<eos>"));
        assertEquals("1", t.decode(new int[] {CharTokenizer.BOS, 4, CharTokenizer.EOS}, true));
        assertEquals("<bos>1<eos>", t.decode(new int[] {CharTokenizer.BOS, 4, CharTokenizer.EOS}, false));
        assertEquals(Set.of(CharTokenizer.EOS), t.eosIds());
    }

    @Test
    void unknownCharacterIsNamedNotReplaced() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.encode("12x"));
        assertTrue(e.getMessage().contains("'x'") && e.getMessage().contains("offset 2"), e.getMessage());
    }

    @Test
    void idsBeyondTheAlphabetDecodeAsReplacementCharacters() {
        assertEquals("1\uFFFD", t.decode(new int[] {4, 99}, true));
    }

    @Test
    void savedDescriptionLoadsBack(@TempDir Path dir) {
        Tokenizers.save(t, dir);
        TextTokenizer loaded = Tokenizers.load(dir, Set.of());
        assertArrayEquals(t.encode("9+9=18"), loaded.encode("9+9=18"));
    }

    @Test
    void repeatedAlphabetCharacterIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new CharTokenizer("abca"));
    }
}
