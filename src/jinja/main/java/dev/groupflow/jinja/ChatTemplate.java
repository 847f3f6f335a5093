package dev.groupflow.jinja;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Hugging Face chat template: turns a conversation into the exact prompt text {@code
 * tokenizer.apply_chat_template(messages, tokenize=False, ...)} produces. The template is parsed
 * once; {@link #render} may be called concurrently.
 *
 * <p>Like Hugging Face, rendering passes {@code messages}, {@code add_generation_prompt}, {@code
 * tools=None}, {@code documents=None} and the tokenizer's special tokens ({@code bos_token},
 * {@code eos_token}, ... when set), then the caller's extra variables, which win on conflicts.
 */
public final class ChatTemplate {
    private static final List<String> SPECIAL_TOKEN_KEYS = List.of("bos_token", "eos_token",
            "unk_token", "sep_token", "pad_token", "cls_token", "mask_token");

    private final Template template;
    private final Map<String, Object> specialTokens;
    private final Clock clock;

    private ChatTemplate(Template template, Map<String, Object> specialTokens, Clock clock) {
        this.template = template;
        this.specialTokens = Collections.unmodifiableMap(specialTokens);
        this.clock = clock;
    }

    /** A chat template with no special tokens. */
    public ChatTemplate(String template) {
        this(template, null, null);
    }

    /**
     * A chat template with the tokenizer's BOS and EOS tokens (either may be null, in which case the
     * template sees it as undefined, as with Hugging Face).
     *
     * @throws TemplateSyntaxException if the template does not parse
     */
    public ChatTemplate(String template, String bosToken, String eosToken) {
        this(Template.compile(Objects.requireNonNull(template, "template")),
                tokens(bosToken, eosToken), Clock.systemDefaultZone());
    }

    private static Map<String, Object> tokens(String bos, String eos) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (bos != null) {
            m.put("bos_token", bos);
        }
        if (eos != null) {
            m.put("eos_token", eos);
        }
        return m;
    }

    /** Reads the default chat template and special tokens from a {@code tokenizer_config.json}. */
    public static ChatTemplate fromTokenizerConfig(Path tokenizerConfigJson) {
        return fromTokenizerConfig(tokenizerConfigJson, null);
    }

    /**
     * Reads a chat template and the special tokens from a {@code tokenizer_config.json}. The {@code
     * chat_template} entry may be a string or a list of {@code {name, template}} objects; when it is
     * absent, a {@code chat_template.jinja} file next to the config is used, as newer Hugging Face
     * checkpoints store it there.
     *
     * @param templateName which named template to use, or null for {@code "default"} (or the only one)
     * @throws TemplateException if the file has no chat template or the named one is missing
     * @throws UncheckedIOException if the file cannot be read or is not JSON
     */
    public static ChatTemplate fromTokenizerConfig(Path tokenizerConfigJson, String templateName) {
        JsonNode config;
        try {
            config = new ObjectMapper().readTree(tokenizerConfigJson.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tokenizer config " + tokenizerConfigJson, e);
        }
        if (config == null || !config.isObject()) {
            throw new TemplateException("tokenizer config " + tokenizerConfigJson + " is not a JSON object");
        }
        String source = selectTemplate(config.get("chat_template"), templateName, tokenizerConfigJson);
        Map<String, Object> special = new LinkedHashMap<>();
        for (String key : SPECIAL_TOKEN_KEYS) {
            String token = tokenContent(config.get(key));
            if (token != null) {
                special.put(key, token);
            }
        }
        JsonNode extra = config.get("additional_special_tokens");
        if (extra != null && extra.isArray()) {
            List<Object> list = new ArrayList<>();
            extra.forEach(t -> list.add(tokenContent(t)));
            special.put("additional_special_tokens", list);
        }
        return new ChatTemplate(Template.compile(source), special, Clock.systemDefaultZone());
    }

    private static String selectTemplate(JsonNode node, String name, Path file) {
        if (node == null || node.isNull()) {
            Path sibling = file.resolveSibling("chat_template.jinja");
            if (name == null && Files.isRegularFile(sibling)) {
                try {
                    return Files.readString(sibling, StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + sibling, e);
                }
            }
            throw new TemplateException("tokenizer config " + file + " has no chat_template"
                    + (name == null ? " (and there is no chat_template.jinja next to it)" : ""));
        }
        if (node.isTextual()) {
            if (name != null && !name.equals("default")) {
                throw new TemplateException("tokenizer config " + file + " has a single chat_template,"
                        + " not one named '" + name + "'");
            }
            return node.textValue();
        }
        if (!node.isArray()) {
            throw new TemplateException("chat_template in " + file + " is neither a string nor a list");
        }
        List<String> names = new ArrayList<>();
        for (JsonNode entry : node) {
            String entryName = entry.path("name").asText(null);
            names.add(entryName);
            if (entryName != null && entryName.equals(name == null ? "default" : name)) {
                return requireText(entry.get("template"), file, entryName);
            }
        }
        if (name == null && node.size() == 1) {
            return requireText(node.get(0).get("template"), file, names.get(0));
        }
        throw new TemplateException("tokenizer config " + file + " has no chat template named '"
                + (name == null ? "default" : name) + "'; it has " + names);
    }

    private static String requireText(JsonNode node, Path file, String name) {
        if (node == null || !node.isTextual()) {
            throw new TemplateException("chat template '" + name + "' in " + file + " has no template text");
        }
        return node.textValue();
    }

    /** A token given as a string or as an AddedToken object {@code {"content": ...}}. */
    private static String tokenContent(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        JsonNode content = node.get("content");
        return content != null && content.isTextual() ? content.textValue() : null;
    }

    /** The same template reading the given clock for {@code strftime_now}. */
    public ChatTemplate withClock(Clock newClock) {
        return new ChatTemplate(template, new LinkedHashMap<>(specialTokens),
                Objects.requireNonNull(newClock, "clock"));
    }

    /** The template source. */
    public String source() {
        return template.source();
    }

    /** The special tokens the template sees ({@code bos_token}, {@code eos_token}, ...). */
    public Map<String, Object> specialTokens() {
        return specialTokens;
    }

    /** Renders a conversation with no extra variables. */
    public String render(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /**
     * Renders a conversation.
     *
     * @param messages each a map with at least {@code role} and usually {@code content}
     * @param extraVariables e.g. {@code enable_thinking}, {@code tools}, {@code documents}, {@code
     *     date_string}; may be null
     * @throws TemplateRaisedException when the template rejects the conversation
     * @throws TemplateException on any other template error
     */
    public String render(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt,
            Map<String, ?> extraVariables) {
        Map<String, Object> vars = new LinkedHashMap<>(specialTokens);
        vars.put("messages", messages);
        vars.put("tools", null);
        vars.put("documents", null);
        vars.put("add_generation_prompt", addGenerationPrompt);
        if (extraVariables != null) {
            vars.putAll(extraVariables);
        }
        return template.render(vars, clock);
    }
}
