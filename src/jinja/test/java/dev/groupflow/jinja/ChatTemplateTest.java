package dev.groupflow.jinja;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ChatTemplate}: loading from tokenizer configs and the variables a render sees. */
class ChatTemplateTest {
    @TempDir
    Path dir;

    private static final List<Map<String, Object>> HELLO =
            List.of(Map.of("role", "user", "content", "Hello"));

    private Path config(String json) throws IOException {
        Path file = dir.resolve("tokenizer_config.json");
        Files.writeString(file, json);
        return file;
    }

    @Test
    void bosAndEosTokensAreVisibleToTheTemplate() {
        ChatTemplate t = new ChatTemplate("{{ bos_token }}{{ messages[0].content }}{{ eos_token }}", "<s>", "</s>");
        assertEquals("<s>Hello</s>", t.render(HELLO, false));
    }

    @Test
    void nullSpecialTokensAreUndefinedNotNone() {
        ChatTemplate t = new ChatTemplate("{{ bos_token is defined }}|{{ eos_token }}", null, "E");
        assertEquals("False|E", t.render(HELLO, false));
    }

    @Test
    void toolsAndDocumentsDefaultToNoneAndExtrasOverrideThem() {
        ChatTemplate t = new ChatTemplate("{{ tools is none }} {{ documents is none }} {{ add_generation_prompt }}"
                + " {{ enable_thinking | default('unset') }}");
        assertEquals("True True True unset", t.render(HELLO, true));
        assertEquals("False True False False",
                t.render(HELLO, false, Map.of("tools", List.of(), "enable_thinking", false)));
    }

    @Test
    void readsAStringChatTemplateAndAddedTokenObjects() throws IOException {
        Path file = config("{\"chat_template\": "
                + "\"{{ bos_token }}[{{ messages|length }}]{{ eos_token }}{{ pad_token }}\","
                + " \"bos_token\": {\"content\": \"<bos>\", \"lstrip\": false}, \"eos_token\": \"<eos>\","
                + " \"pad_token\": null}");
        ChatTemplate t = ChatTemplate.fromTokenizerConfig(file);
        assertEquals("<bos>[1]<eos>", t.render(HELLO, false));
        assertEquals(Map.of("bos_token", "<bos>", "eos_token", "<eos>"), t.specialTokens());
    }

    @Test
    void picksTheDefaultOrANamedTemplateFromAList() throws IOException {
        Path file = config("{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"tools\"},"
                + " {\"name\": \"default\", \"template\": \"plain\"}]}");
        assertEquals("plain", ChatTemplate.fromTokenizerConfig(file).render(HELLO, false));
        assertEquals("tools", ChatTemplate.fromTokenizerConfig(file, "tool_use").render(HELLO, false));
        TemplateException e = assertThrows(TemplateException.class,
                () -> ChatTemplate.fromTokenizerConfig(file, "rag"));
        assertTrue(e.getMessage().contains("rag") && e.getMessage().contains("tool_use"), e.getMessage());
    }

    @Test
    void aConfigWithoutAChatTemplateIsAClearErrorNamingTheFile() throws IOException {
        Path file = config("{\"eos_token\": \"</s>\"}");
        TemplateException e = assertThrows(TemplateException.class, () -> ChatTemplate.fromTokenizerConfig(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("chat_template"), e.getMessage());
    }

    @Test
    void fallsBackToAChatTemplateJinjaFileNextToTheConfig() throws IOException {
        Path file = config("{\"eos_token\": \"</s>\"}");
        Files.writeString(dir.resolve("chat_template.jinja"),
                "{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}\n");
        assertEquals("Hello</s>", ChatTemplate.fromTokenizerConfig(file).render(HELLO, false));
    }

    @Test
    void unreadableConfigsFailWithTheirPath() throws IOException {
        Path missing = dir.resolve("nope.json");
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> ChatTemplate.fromTokenizerConfig(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        Path broken = config("{not json");
        assertThrows(UncheckedIOException.class, () -> ChatTemplate.fromTokenizerConfig(broken));
    }

    @Test
    void aTemplateThatDoesNotParseFailsAtConstruction() {
        TemplateSyntaxException e = assertThrows(TemplateSyntaxException.class,
                () -> new ChatTemplate("line 1\n{% for m in messages %}"));
        assertEquals(2, e.line());
    }

    @Test
    void strftimeNowReadsTheInjectedClock() {
        Clock clock = Clock.fixed(Instant.parse("2025-02-03T23:59:58Z"), ZoneOffset.UTC);
        ChatTemplate t = new ChatTemplate("{{ strftime_now('%d %b %Y %H:%M:%S') }}").withClock(clock);
        assertEquals("03 Feb 2025 23:59:58", t.render(HELLO, false));
        Clock tokyo = Clock.fixed(Instant.parse("2025-02-03T23:59:58Z"), ZoneId.of("Asia/Tokyo"));
        assertEquals("04 Feb 2025 08:59:58", t.withClock(tokyo).render(HELLO, false));
    }

    @Test
    void raiseExceptionSurfacesTheTemplateMessage() {
        ChatTemplate t = new ChatTemplate("{% if messages[0].role != 'system' %}"
                + "{{ raise_exception('System message required') }}{% endif %}");
        TemplateRaisedException e = assertThrows(TemplateRaisedException.class, () -> t.render(HELLO, false));
        assertEquals("System message required", e.getMessage());
        assertEquals(1, e.line());
    }

    @Test
    void oneParsedTemplateRendersConcurrently() throws Exception {
        ChatTemplate t = QwenChatTemplateFixtureTest.qwen();
        List<Map<String, Object>> messages = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            messages.add(Map.of("role", i % 2 == 0 ? "user" : "assistant", "content", "turn " + i));
        }
        String expected = t.render(messages, true);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                results.add(pool.submit(() -> t.render(messages, true)));
            }
            for (Future<String> f : results) {
                assertEquals(expected, f.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void messagesAreNotModifiedByRendering() {
        List<Map<String, Object>> messages = new ArrayList<>();
        messages.add(new HashMap<>(Map.of("role", "user", "content", "x")));
        new ChatTemplate("{% set messages = messages[1:] %}{{ messages|length }}").render(messages, false);
        assertEquals(1, messages.size());
        assertEquals("x", messages.get(0).get("content"));
    }
}
