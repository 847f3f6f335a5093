package dev.groupflow.model.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.model.ModelException;
import dev.groupflow.jinja.ChatTemplate;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * A Hugging Face tokenizer: {@code tokenizer.json} through DJL's {@link HuggingFaceTokenizer} (the Rust
 * tokenizers library), with special tokens from {@code tokenizer_config.json} and end-of-sequence ids from
 * {@code generation_config.json} as {@code transformers} reads them. {@code tokenizer.json.gz} is accepted in
 * place of {@code tokenizer.json}.
 *
 * <p>Encoding never adds special tokens by itself: prompts are rendered by the chat template (which writes them
 * as text) or passed as they are, which is what {@code apply_chat_template(..., tokenize=True)} does.
 */
public final class HfTokenizer implements TextTokenizer {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HuggingFaceTokenizer tokenizer;
    private final Map<String, Integer> addedTokens;  // content → id
    private final Set<Integer> specialIds;
    private final Set<Integer> eosIds;
    private final int padId;
    private final int vocabSize;
    private final ChatTemplate chatTemplate;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, Map<String, Integer> addedTokens, Set<Integer> specialIds,
                        Set<Integer> eosIds, int padId, int vocabSize, ChatTemplate chatTemplate) {
        this.tokenizer = tokenizer;
        this.addedTokens = addedTokens;
        this.specialIds = specialIds;
        this.eosIds = eosIds;
        this.padId = padId;
        this.vocabSize = vocabSize;
        this.chatTemplate = chatTemplate;
    }

    /** Whether a directory holds a Hugging Face tokenizer. */
    public static boolean present(Path dir) {
        return Files.isRegularFile(dir.resolve("tokenizer.json")) || Files.isRegularFile(dir.resolve("tokenizer.json.gz"));
    }

    /**
     * The chat template of a checkpoint directory as {@link #load} reads it ({@code tokenizer_config.json}'s
     * {@code chat_template}: a string, or the text of its list of named templates), without loading the tokenizer;
     * null when there is none (or the file cannot be read, which {@link #load} reports).
     */
    public static String chatTemplateText(Path dir) {
        Path file = dir.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            JsonNode config = JSON.readTree(file.toFile());
            JsonNode template = config == null ? null : config.get("chat_template");
            return template == null || template.isNull() ? null
                    : template.isTextual() ? template.asText() : template.toString();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Loads the tokenizer of a checkpoint directory.
     *
     * @param dir holds tokenizer.json (or .gz) and optionally tokenizer_config.json, generation_config.json
     * @param extraEosIds end-of-sequence ids from the model's config.json (may be empty)
     */
    public static HfTokenizer load(Path dir, Set<Integer> extraEosIds) {
        Path json = dir.resolve("tokenizer.json");
        Path gz = dir.resolve("tokenizer.json.gz");
        byte[] data;
        Path source;
        try {
            if (Files.isRegularFile(json)) {
                source = json;
                data = Files.readAllBytes(json);
            } else if (Files.isRegularFile(gz)) {
                source = gz;
                try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
                    data = in.readAllBytes();
                }
            } else {
                throw new ModelException(dir, "no tokenizer: neither tokenizer.json nor tokenizer.json.gz exists");
            }
        } catch (IOException e) {
            throw new ModelException(dir, "cannot read the tokenizer: " + e.getMessage(), e);
        }
        Vocabulary vocab = Vocabulary.scan(data, source);
        HuggingFaceTokenizer hf;
        try (InputStream in = new ByteArrayInputStream(data)) {
            hf = HuggingFaceTokenizer.newInstance(in, Map.of(
                    "addSpecialTokens", "false", "truncation", "false", "padding", "false"));
        } catch (IOException | RuntimeException e) {
            throw new ModelException(source, "the tokenizers library cannot load it: " + e.getMessage(), e);
        }

        Path configFile = dir.resolve("tokenizer_config.json");
        JsonNode config = readOptional(configFile);
        Set<Integer> special = new LinkedHashSet<>(vocab.special);
        Set<Integer> eos = new LinkedHashSet<>();
        Integer eosToken = config == null ? null : tokenRef(config.get("eos_token"), vocab, configFile, "eos_token");
        if (eosToken != null) {
            eos.add(eosToken);
        }
        Path generationFile = dir.resolve("generation_config.json");
        JsonNode generation = readOptional(generationFile);
        if (generation != null) {
            JsonNode ids = generation.get("eos_token_id");
            if (ids != null && ids.isArray()) {
                ids.forEach(n -> eos.add(n.asInt()));
            } else if (ids != null && ids.isIntegralNumber()) {
                eos.add(ids.asInt());
            }
        }
        eos.addAll(extraEosIds);
        Integer pad = config == null ? null : tokenRef(config.get("pad_token"), vocab, configFile, "pad_token");
        int padId = pad != null ? pad : eos.isEmpty() ? 0 : eos.iterator().next();
        special.addAll(eos);
        special.add(padId);
        ChatTemplate template = config != null && config.hasNonNull("chat_template")
                ? ChatTemplate.fromTokenizerConfig(configFile) : null;
        return new HfTokenizer(hf, vocab.added, Collections.unmodifiableSet(special),
                Collections.unmodifiableSet(eos), padId, vocab.size, template);
    }

    private static JsonNode readOptional(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelException(file, "not valid JSON: " + e.getMessage(), e);
        }
    }

    /** A special-token field: a string or {"content": ...}; null when absent. */
    private static Integer tokenRef(JsonNode node, Vocabulary vocab, Path file, String field) {
        if (node == null || node.isNull()) {
            return null;
        }
        String content = node.isTextual() ? node.asText() : node.path("content").asText(null);
        if (content == null) {
            throw new ModelException(file, field + ": expected a string or an object with \"content\"");
        }
        Integer id = vocab.added.get(content);
        if (id == null) {
            id = vocab.tokens.get(content);
        }
        if (id == null) {
            throw new ModelException(file, field + ": '" + content + "' is not a token of tokenizer.json");
        }
        return id;
    }

    @Override
    public int[] encode(String text) {
        long[] ids = tokenizer.encode(text, false, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = (int) ids[i];
        }
        return out;
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return tokenizer.decode(l, skipSpecialTokens);
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public Set<Integer> eosIds() {
        return eosIds;
    }

    @Override
    public int padId() {
        return padId;
    }

    @Override
    public int tokenId(String token) {
        Integer id = addedTokens.get(token);
        if (id != null) {
            return id;
        }
        long[] ids = tokenizer.encode(token, false, false).getIds();
        return ids.length == 1 && decode(new int[] {(int) ids[0]}, false).equals(token) ? (int) ids[0] : -1;
    }

    @Override
    public Set<Integer> specialIds() {
        return specialIds;
    }

    @Override
    public ChatTemplate chatTemplate() {
        return chatTemplate;
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    /** What groupflow needs from tokenizer.json besides the tokenizer itself: ids of added and special tokens. */
    private static final class Vocabulary {
        final Map<String, Integer> added = new HashMap<>();
        final Map<String, Integer> tokens = new HashMap<>();
        final Set<Integer> special = new LinkedHashSet<>();
        int size;

        /** Streams the JSON (it can be tens of MB) and keeps only added tokens and the model's vocab. */
        static Vocabulary scan(byte[] data, Path source) {
            Vocabulary v = new Vocabulary();
            try (JsonParser p = new JsonFactory().createParser(data)) {
                if (p.nextToken() != JsonToken.START_OBJECT) {
                    throw new ModelException(source, "not a JSON object");
                }
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    p.nextToken();
                    if (field.equals("added_tokens") && p.currentToken() == JsonToken.START_ARRAY) {
                        for (JsonNode t : JSON.<JsonNode>readValue(p, JsonNode.class)) {
                            int id = t.path("id").asInt(-1);
                            v.added.put(t.path("content").asText(), id);
                            if (t.path("special").asBoolean(false)) {
                                v.special.add(id);
                            }
                            v.size = Math.max(v.size, id + 1);
                        }
                    } else if (field.equals("model") && p.currentToken() == JsonToken.START_OBJECT) {
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String key = p.currentName();
                            p.nextToken();
                            if (key.equals("vocab") && p.currentToken() == JsonToken.START_OBJECT) {
                                while (p.nextToken() == JsonToken.FIELD_NAME) {
                                    String token = p.currentName();
                                    p.nextToken();
                                    int id = p.getIntValue();
                                    v.tokens.put(token, id);
                                    v.size = Math.max(v.size, id + 1);
                                }
                            } else {
                                p.skipChildren();
                            }
                        }
                    } else {
                        p.skipChildren();
                    }
                }
            } catch (IOException e) {
                throw new ModelException(source, "not valid JSON: " + e.getMessage(), e);
            }
            return v;
        }
    }
}
