package dev.groupflow.jinja;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The {@code lipsum} global. Its text is random in Jinja2, so the recorded cases only hold its
 * shape; these tests check what the recorded cases cannot: the shape over many paragraphs, the
 * word list (Jinja2's own, as the generator recorded it), and this engine's documented difference
 * from Python: the same template renders the same text every time.
 */
class LipsumTest {
    private static String render(String template) {
        return Template.compile(template).render(Map.of());
    }

    /** Jinja2's LOREM_IPSUM_WORDS, as recorded by generate_jinja2_cases.py from jinja2.constants. */
    private static Set<String> jinja2Words() throws IOException {
        for (JsonNode c : Jinja2CompatibilityTest.readJson("/template/jinja2_cases.json").get("cases")) {
            if (c.get("name").asText().equals("lipsum words come from the lorem ipsum list")) {
                Set<String> words = new TreeSet<>();
                c.get("vars").get("words").forEach(w -> words.add(w.asText()));
                return words;
            }
        }
        throw new AssertionError("the case file has no lipsum word list");
    }

    @Test
    void manyParagraphsHaveJinja2sShapeAndUseExactlyItsWords() throws IOException {
        String text = render("{{ lipsum(400, false, 2, 40) }}");
        String[] paragraphs = text.split("\n\n", -1);
        assertEquals(400, paragraphs.length);
        Set<String> used = new TreeSet<>();
        for (String p : paragraphs) {
            String[] words = p.split(" ", -1);
            assertTrue(words.length >= 2 && words.length < 40, words.length + " words in: " + p);
            assertTrue(Character.isUpperCase(p.charAt(0)) && p.endsWith("."), p);
            for (String w : words) {
                String bare = w.replaceAll("[,.]+$", "");
                assertTrue(bare.matches("[A-Za-z]+"), "word '" + w + "' in: " + p);
                used.add(bare.toLowerCase());
            }
        }
        assertEquals(jinja2Words(), used);
    }

    @Test
    void htmlParagraphsAreMarkupElementsOnePerLine() {
        assertEquals("True", render("{{ lipsum(7, min=1, max=3) is escaped }}"));
        String[] lines = render("{{ lipsum(7, min=1, max=3) }}").split("\n", -1);
        assertEquals(7, lines.length);
        for (String line : lines) {
            assertTrue(line.matches("<p>[A-Z][a-z]*(?: [a-z]+)?\\.</p>"), line);
        }
    }

    @Test
    void theSameTemplateRendersTheSameTextEveryTimeWhileCallsWithinARenderDiffer() {
        Template t = Template.compile("{{ lipsum(3) }}|{{ lipsum(3) }}");
        String first = t.render(Map.of());
        assertEquals(first, t.render(Map.of()));
        assertEquals(first, render("{{ lipsum(3) }}|{{ lipsum(3) }}"));
        String[] halves = first.split("\\|");
        assertTrue(!halves[0].equals(halves[1]), "two calls in one render gave the same text: " + first);
    }

    @Test
    void textBeyondTheStringLimitIsRefused() {
        // Refused up front: 1000 paragraphs of 40000 words are at least 80M characters.
        TemplateException e = assertThrows(TemplateException.class,
                () -> render("{{ lipsum(1000, min=40000, max=40001)|length }}"));
        assertTrue(e.detail().contains("MemoryError"), e.detail());
        // Refused while built: 10M words may fit in 20M characters, but these take about 70M.
        e = assertThrows(TemplateException.class,
                () -> render("{{ lipsum(1, min=10000000, max=10000001)|length }}"));
        assertTrue(e.detail().contains("MemoryError"), e.detail());
    }
}
