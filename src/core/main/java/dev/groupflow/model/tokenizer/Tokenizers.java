package dev.groupflow.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.model.ModelException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * Finds the tokenizer of a model directory: a Hugging Face {@code tokenizer.json} (or {@code .gz}), or
 * groupflow's own {@code groupflow_tokenizer.json} describing a built-in {@link CharTokenizer}.
 */
public final class Tokenizers {
    public static final String GROUPFLOW_FILE = "groupflow_tokenizer.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Tokenizers() {
    }

    public static TextTokenizer load(Path dir, Set<Integer> modelEosIds) {
        if (HfTokenizer.present(dir)) {
            return HfTokenizer.load(dir, modelEosIds);
        }
        Path own = dir.resolve(GROUPFLOW_FILE);
        if (Files.isRegularFile(own)) {
            try {
                JsonNode n = JSON.readTree(own.toFile());
                if (!"chars".equals(n.path("type").asText()) || !n.path("alphabet").isTextual()) {
                    throw new ModelException(own, "expected {\"type\": \"chars\", \"alphabet\": \"...\"}");
                }
                return new CharTokenizer(n.get("alphabet").asText());
            } catch (IOException e) {
                throw new ModelException(own, "not valid JSON: " + e.getMessage(), e);
            }
        }
        throw new ModelException(dir, "no tokenizer: expected tokenizer.json, tokenizer.json.gz or " + GROUPFLOW_FILE);
    }

    /** Writes the description of a built-in tokenizer so a saved checkpoint is self-contained. */
    public static void save(CharTokenizer tokenizer, Path dir) {
        try {
            Files.writeString(dir.resolve(GROUPFLOW_FILE), JSON.writeValueAsString(
                    Map.of("type", "chars", "alphabet", tokenizer.alphabet())));
        } catch (IOException e) {
            throw new ModelException(dir, "cannot write " + GROUPFLOW_FILE + ": " + e.getMessage(), e);
        }
    }
}
