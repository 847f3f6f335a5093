package dev.groupflow.jinja;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Errors carry their template line (and column for syntax errors); limits fail cleanly. */
class TemplateErrorsTest {
    private static String render(String template) {
        return Template.compile(template).render(Map.of());
    }

    @Test
    void syntaxErrorsNameLineColumnAndWhatWasExpected() {
        TemplateSyntaxException e = assertThrows(TemplateSyntaxException.class,
                () -> Template.compile("ok\n  {{ 1 + }}"));
        assertEquals(2, e.line());
        assertEquals(10, e.column());
        assertTrue(e.getMessage().contains("line 2, column 10"), e.getMessage());
        assertTrue(e.detail().contains("end of print statement"), e.detail());
    }

    @Test
    void unclosedBlocksSayWhichTagIsMissing() {
        TemplateSyntaxException e = assertThrows(TemplateSyntaxException.class,
                () -> Template.compile("{% for m in messages %}\n{% if m %}\nx\n{% endfor %}"));
        assertEquals(4, e.line());
        assertTrue(e.detail().contains("'endif'"), e.detail());
        assertTrue(e.detail().contains("innermost block that needs to be closed is 'if'"), e.detail());
    }

    @Test
    void loopControlsOutsideALoopAreSyntaxErrors() {
        TemplateSyntaxException e = assertThrows(TemplateSyntaxException.class,
                () -> Template.compile("{% for x in y %}{% endfor %}\n{% continue %}"));
        assertEquals(2, e.line());
        assertThrows(TemplateSyntaxException.class,
                () -> Template.compile("{% for x in y %}{% macro m() %}{% break %}{% endmacro %}{% endfor %}"));
    }

    @Test
    void unsupportedTagsAreRejectedByName() {
        TemplateSyntaxException e = assertThrows(TemplateSyntaxException.class,
                () -> Template.compile("{% include 'other.jinja' %}"));
        assertTrue(e.detail().contains("include"), e.detail());
    }

    @Test
    void runtimeErrorsNameTheLine() {
        TemplateException e = assertThrows(TemplateException.class,
                () -> render("a\nb\n{{ 'x' + 1 }}"));
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains("can only concatenate str"), e.getMessage());
    }

    @Test
    void undefinedAttributeOfUndefinedIsAnError() {
        TemplateException e = assertThrows(TemplateException.class,
                () -> render("{% if message.reasoning.text %}{% endif %}"));
        assertTrue(e.detail().contains("'message' is undefined"), e.detail());
    }

    @Test
    void unboundedRecursionIsStopped() {
        TemplateException e = assertThrows(TemplateException.class,
                () -> render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"));
        assertTrue(e.detail().contains("RecursionError"), e.detail());
    }

    @Test
    void deeplyNestedSourceIsASyntaxErrorNotAStackOverflow() {
        String parens = "{{ " + "(".repeat(20_000) + "1" + ")".repeat(20_000) + " }}";
        assertThrows(TemplateSyntaxException.class, () -> Template.compile(parens));
        String ifs = "{% if true %}".repeat(5_000) + "{% endif %}".repeat(5_000);
        assertThrows(TemplateSyntaxException.class, () -> Template.compile(ifs));
    }

    @Test
    void hugeStringsAreRefusedBeforeTheyAreBuilt() {
        TemplateException e = assertThrows(TemplateException.class, () -> render("{{ 'x' * 1000000000 }}"));
        assertTrue(e.detail().contains("MemoryError"), e.detail());
    }

    @Test
    void rangesAreCappedLikeTheSandbox() {
        assertEquals("100000", render("{{ range(100000)|length }}"));
        TemplateException e = assertThrows(TemplateException.class, () -> render("{{ range(100001) }}"));
        assertTrue(e.detail().contains("MAX_RANGE"), e.detail());
    }

    @Test
    void integerOverflowIsAnErrorNotAWrongAnswer() {
        TemplateException e = assertThrows(TemplateException.class, () -> render("{{ 2 ** 64 }}"));
        assertTrue(e.detail().contains("OverflowError"), e.detail());
        assertEquals("9223372036854775807", render("{{ 2 ** 62 - 1 + 2 ** 62 }}"));
    }
}
