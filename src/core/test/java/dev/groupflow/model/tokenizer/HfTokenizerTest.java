package dev.groupflow.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.groupflow.model.ModelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real Qwen3 tokenizer (fixtures/qwen3-tokenizer; tokenizer.json is stored gzipped). */
class HfTokenizerTest {
    private static HfTokenizer qwen;

    static Path dir() throws Exception {
        return Path.of(HfTokenizerTest.class.getResource("/fixtures/qwen3-tokenizer").toURI());
    }

    @BeforeAll
    static void load() throws Exception {
        qwen = HfTokenizer.load(dir(), Set.of());
    }

    @AfterAll
    static void close() {
        qwen.close();
    }

    @Test
    void encodesThinkAsOneSpecialToken() {
        assertArrayEquals(new int[] {3838, 374, 220, 16, 17, 488, 220, 22, 30, 220, 151667},
                qwen.encode("What is 12 + 7? <think>"));
    }

    @Test
    void specialTokenIdsComeFromTheConfig() {
        assertEquals(151645, qwen.tokenId("<|im_end|>"));
        assertEquals(151643, qwen.tokenId("<|endoftext|>"));
        assertEquals(Set.of(151645), qwen.eosIds(), "eos_token of tokenizer_config.json");
        assertEquals(151643, qwen.padId(), "pad_token of tokenizer_config.json");
        assertTrue(qwen.specialIds().containsAll(Set.of(151643, 151644, 151645)));
        assertTrue(qwen.vocabSize() > 151667);
    }

    @Test
    void decodeRoundTripsAndCanSkipSpecialTokens() {
        String text = "<|im_start|>user\nПривет, 世界! 12+7=19<|im_end|>";
        int[] ids = qwen.encode(text);
        assertEquals(text, qwen.decode(ids, false));
        assertEquals("user\nПривет, 世界! 12+7=19", qwen.decode(ids, true));
    }

    @Test
    void longInputsAreNeverTruncated() {
        String text = "word ".repeat(5000);
        assertEquals(text, qwen.decode(qwen.encode(text), false));
        assertTrue(qwen.encode(text).length >= 5000);
    }

    @Test
    void chatTemplateRendersAsHuggingFaceDoes() {
        String rendered = qwen.applyChatTemplate(List.of(Map.of("role", "user", "content", "What is 2+3?")), true,
                Map.of());
        assertEquals("<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n", rendered);
        int[] ids = qwen.encode(rendered);
        assertEquals(151644, ids[0], "<|im_start|> is one token");
    }

    @Test
    void generationConfigAddsEosIds(@TempDir Path tmp) throws Exception {
        for (String f : List.of("tokenizer.json.gz", "tokenizer_config.json")) {
            Files.copy(dir().resolve(f), tmp.resolve(f));
        }
        Files.writeString(tmp.resolve("generation_config.json"), "{\"eos_token_id\": [151645, 151643]}");
        try (HfTokenizer t = HfTokenizer.load(tmp, Set.of(7))) {
            assertEquals(Set.of(151645, 151643, 7), t.eosIds());
        }
    }

    @Test
    void missingTokenizerIsAClearError(@TempDir Path tmp) {
        ModelException e = assertThrows(ModelException.class, () -> Tokenizers.load(tmp, Set.of()));
        assertTrue(e.getMessage().contains("no tokenizer"), e.getMessage());
    }

    @Test
    void unknownSpecialTokenInConfigNamesFileAndField(@TempDir Path tmp) throws Exception {
        Files.copy(dir().resolve("tokenizer.json.gz"), tmp.resolve("tokenizer.json.gz"));
        Files.writeString(tmp.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|nope|>\"}");
        ModelException e = assertThrows(ModelException.class, () -> HfTokenizer.load(tmp, Set.of()));
        assertTrue(e.getMessage().contains("tokenizer_config.json") && e.getMessage().contains("eos_token"),
                e.getMessage());
    }
}
