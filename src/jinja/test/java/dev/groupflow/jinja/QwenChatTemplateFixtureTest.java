package dev.groupflow.jinja;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The Qwen3 tokenizer fixture: every case in {@code chat_template_cases.json} (rendered by Hugging
 * Face) must come out byte-identical from the template in {@code tokenizer_config.json}. New cases
 * appended to the file are picked up without code changes.
 */
class QwenChatTemplateFixtureTest {
    private static final String DIR = "/fixtures/qwen3-tokenizer/";

    static ChatTemplate qwen() throws URISyntaxException {
        Path config = Path.of(QwenChatTemplateFixtureTest.class.getResource(DIR + "tokenizer_config.json").toURI());
        return ChatTemplate.fromTokenizerConfig(config);
    }

    @TestFactory
    Stream<DynamicTest> everyFixtureCaseRendersByteExact() throws Exception {
        ChatTemplate template = qwen();
        JsonNode cases = Jinja2CompatibilityTest.readJson(DIR + "chat_template_cases.json").get("cases");
        assertTrue(cases.size() > 0, "fixture has no cases");
        List<DynamicTest> tests = new ArrayList<>();
        int i = 0;
        for (JsonNode c : cases) {
            String name = "case " + (i++) + ": " + c.get("messages").size() + " message(s), "
                    + c.get("variables");
            tests.add(DynamicTest.dynamicTest(name, () -> {
                @SuppressWarnings("unchecked")
                List<Map<String, Object>> messages =
                        (List<Map<String, Object>>) TemplateValues.fromJson(c.get("messages"));
                @SuppressWarnings("unchecked")
                Map<String, Object> variables = new LinkedHashMap<>(
                        (Map<String, Object>) (Map<?, ?>) TemplateValues.fromJson(c.get("variables")));
                Object addGenerationPrompt = variables.remove("add_generation_prompt");
                String rendered = template.render(messages, Boolean.TRUE.equals(addGenerationPrompt), variables);
                assertEquals(c.get("rendered").asText(), rendered);
            }));
        }
        return tests.stream();
    }

    @Test
    void oneUserMessageWithGenerationPrompt() throws Exception {
        String rendered = qwen().render(List.of(Map.of("role", "user", "content", "What is 2+3?")), true);
        assertEquals("<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n", rendered);
    }

    @Test
    void thinkingDisabledAddsAnEmptyThinkBlock() throws Exception {
        String rendered = qwen().render(List.of(Map.of("role", "user", "content", "Hi")), true,
                Map.of("enable_thinking", false));
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
                rendered);
    }

    @Test
    void configSuppliesEosTokenButNoBosToken() throws Exception {
        Map<String, Object> special = qwen().specialTokens();
        assertEquals("<|im_end|>", special.get("eos_token"));
        assertTrue(!special.containsKey("bos_token"), "Qwen3's bos_token is null, so it must be undefined");
        assertEquals("<|endoftext|>", special.get("pad_token"));
    }

    @Test
    void toolCallsAndToolResponsesRender() throws Exception {
        Map<String, Object> call = Map.of("function",
                Map.of("name", "add", "arguments", new TreeMap<>(Map.of("a", 2, "b", 3))));
        List<Map<String, Object>> messages = List.of(
                Map.of("role", "user", "content", "add 2 and 3"),
                Map.of("role", "assistant", "content", "", "tool_calls", List.of(call)),
                Map.of("role", "tool", "content", "5"));
        // Map.of has no order; tool schemas keep their JSON field order, so parse them as JSON.
        Object tools = TemplateValues.fromJson(new ObjectMapper()
                .readTree("[{\"type\": \"function\", \"function\": {\"name\": \"add\"}}]"));
        String rendered = qwen().render(messages, true, Map.of("tools", tools));
        assertTrue(rendered.startsWith("<|im_start|>system\n# Tools\n"), rendered);
        assertTrue(rendered.contains("<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"add\"}}\n</tools>"),
                rendered);
        assertTrue(rendered.contains("<|im_start|>assistant\n<tool_call>\n"
                + "{\"name\": \"add\", \"arguments\": {\"a\": 2, \"b\": 3}}\n</tool_call><|im_end|>\n"), rendered);
        assertTrue(rendered.endsWith("<|im_start|>user\n<tool_response>\n5\n</tool_response><|im_end|>\n"
                + "<|im_start|>assistant\n"), rendered);
    }
}
