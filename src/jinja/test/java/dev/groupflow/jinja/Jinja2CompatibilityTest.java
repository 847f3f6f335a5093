package dev.groupflow.jinja;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Renders every case of {@code template/jinja2_cases.json} and compares with what Python's Jinja2
 * produced for it (see {@code template/generate_jinja2_cases.py} for how that file was made): the
 * exact output, or the same kind of error (syntax error on the same line, the same {@code
 * raise_exception} message, or a runtime error carrying Python's message).
 */
class Jinja2CompatibilityTest {
    /** The frozen time the generator used for strftime_now. */
    static final Clock FROZEN = Clock.fixed(
            LocalDateTime.of(2024, 7, 26, 10, 30, 5).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);

    static JsonNode readJson(String resource) throws IOException {
        try (InputStream in = Jinja2CompatibilityTest.class.getResourceAsStream(resource)) {
            assertNotNull(in, "missing test resource " + resource);
            return new ObjectMapper().readTree(in);
        }
    }

    static String readText(String resource) throws IOException {
        try (InputStream in = Jinja2CompatibilityTest.class.getResourceAsStream(resource)) {
            assertNotNull(in, "missing test resource " + resource);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @TestFactory
    Stream<DynamicTest> everyCaseRendersLikePythonJinja2() throws IOException {
        JsonNode cases = readJson("/template/jinja2_cases.json").get("cases");
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : cases) {
            tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> check(c)));
        }
        return tests.stream();
    }

    @Test
    void theCaseFileHasCasesOfEveryKind() throws IOException {
        JsonNode cases = readJson("/template/jinja2_cases.json").get("cases");
        assertTrue(cases.size() > 150, "expected a substantial case file, got " + cases.size());
        List<String> kinds = new ArrayList<>();
        cases.forEach(c -> kinds.add(c.has("expected") ? "ok" : c.get("error").get("kind").asText()));
        for (String kind : List.of("ok", "syntax", "raised", "runtime")) {
            assertTrue(kinds.contains(kind), "no case of kind " + kind);
        }
    }

    private static void check(JsonNode c) throws IOException {
        String source = c.has("template_file")
                ? readText("/template/templates/" + c.get("template_file").asText())
                : c.get("template").asText();
        @SuppressWarnings("unchecked")
        Map<String, Object> vars = (Map<String, Object>) (Map<?, ?>) TemplateValues.fromJson(c.get("vars"));
        Map<String, Object> variables = new LinkedHashMap<>(vars);
        if (c.has("expected")) {
            String actual = Template.compile(source).render(variables, FROZEN);
            assertEquals(c.get("expected").asText(), actual, c.get("name").asText());
            return;
        }
        JsonNode error = c.get("error");
        String kind = error.get("kind").asText();
        String message = error.get("message").asText();
        switch (kind) {
            case "syntax" -> {
                TemplateSyntaxException e = assertThrows(TemplateSyntaxException.class,
                        () -> Template.compile(source), c.get("name").asText());
                if (error.hasNonNull("line")) {
                    assertEquals(error.get("line").asInt(), e.line(), "line of: " + e.getMessage());
                }
                assertTrue(e.detail().contains(message), "expected '" + message + "' in: " + e.detail());
            }
            case "raised" -> {
                Template t = Template.compile(source);
                TemplateRaisedException e = assertThrows(TemplateRaisedException.class,
                        () -> t.render(variables, FROZEN), c.get("name").asText());
                assertEquals(message, e.getMessage());
            }
            case "runtime" -> {
                Template t = Template.compile(source);
                TemplateException e = assertThrows(TemplateException.class, () -> t.render(variables, FROZEN),
                        c.get("name").asText());
                assertInstanceOf(TemplateException.class, e);
                if (e instanceof TemplateRaisedException || e instanceof TemplateSyntaxException) {
                    fail("expected a runtime error, got " + e);
                }
                assertTrue(e.detail().contains(message), "expected '" + message + "' in: " + e.detail());
                assertTrue(e.line() > 0, "runtime error without a line: " + e.getMessage());
            }
            default -> fail("unknown error kind " + kind);
        }
    }
}
