package dev.groupflow.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A prompts file is validated whole when it is opened, with the decoding every later read uses: rows that are not
 * UTF-8 (in any field, in any of the ways UTF-8 can be broken) are bad rows naming line, field and the bytes, and
 * every row accepted reads back; a read fails only when the file really changed, and then says so.
 */
class JsonlPromptsTest {

    /** Concatenates ASCII text and raw bytes into one line (without its line break). */
    static byte[] line(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object p : parts) {
            byte[] b = p instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : (byte[]) p;
            out.writeBytes(b);
        }
        return out.toByteArray();
    }

    static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    static Path write(Path file, List<byte[]> lines) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] l : lines) {
            out.writeBytes(l);
            out.write('\n');
        }
        Files.write(file, out.toByteArray());
        return file;
    }

    /** Line number (1-based) → the bad row it is, and what its reason must say. */
    static final Map<Integer, List<String>> EXPECTED = new LinkedHashMap<>();

    static List<byte[]> rows() {
        List<byte[]> rows = new ArrayList<>();
        rows.add(line("{\"prompt\": \"12>\", \"answer\": \"21\"}"));                                  // 1 good
        rows.add(line("{\"prompt\": \"1", bytes(0xff), "2>\", \"answer\": \"x\"}"));                   // 2
        rows.add(line("{\"messages\": [{\"role\": \"user\", \"content\": \"a", bytes(0x80), "b\"}]}"));  // 3
        rows.add(line("{\"prompt\": \"3>\", \"metadata\": {\"source\": \"x", bytes(0xc3), "(y\"}}"));   // 4
        rows.add(line("{\"prompt\": \"4>\", \"answer\": \"", bytes(0xc0, 0xaf), "\"}"));               // 5
        rows.add(line("{\"prompt\": \"5>\", \"answer\": \"", bytes(0xed, 0xa0, 0x80), "\"}"));         // 6
        rows.add(line("{\"prompt\": \"6>\", \"answer\": \"7\"}", bytes(0xe2, 0x82)));                  // 7
        rows.add(line("{\"prompt\": \"7>\", \"answer\": \"", bytes(0xf0, 0x9f, 0x98)));                // 8
        rows.add(line("{\"prompt\": \"8>\", \"metadata\": {\"k", bytes(0xe0, 0x80, 0xaf), "\": 1}}")); // 9
        rows.add(line("{\"prompt\": \"9\\ud800>\"}"));                                                  // 10
        rows.add(line("{\"prompt\": \"1", bytes(0xf4, 0x90, 0x80, 0x80), ">\"}"));                     // 11
        rows.add(line("{\"prompt\": \"1>\"} {\"prompt\": \"2>\"}"));                                    // 12
        rows.add(line("{\"prompt\": \"13>\", \"metadata\": {\"lang\": \"é→😀\"}, \"answer\": 31}"));  // 13 good
        rows.add(line("   "));                                                                           // 14 blank
        rows.add(line("{\"messages\": [{\"role\": \"user\", \"content\": \"15>\"}], \"id\": \"m\"}")); // 15 good
        return rows;
    }

    static {
        EXPECTED.put(2, List.of("field 'prompt': not valid UTF-8: a byte that never occurs in UTF-8 (0xff)",
                "at byte 14 of the line"));
        EXPECTED.put(3, List.of("field 'messages[0].content': not valid UTF-8: a continuation byte with no lead "
                + "byte (0x80)"));
        EXPECTED.put(4, List.of("field 'metadata.source': not valid UTF-8: a multi-byte sequence cut short by "
                + "byte 0x28"));
        EXPECTED.put(5, List.of("field 'answer': not valid UTF-8: an overlong encoding (0xc0 0xaf)"));
        EXPECTED.put(6, List.of("field 'answer': not valid UTF-8: an encoded UTF-16 surrogate, which is not a "
                + "character (0xed 0xa0 0x80)"));
        EXPECTED.put(7, List.of("outside any string: not valid UTF-8: a multi-byte sequence cut off by the end of "
                + "the line (0xe2 0x82)"));
        EXPECTED.put(8, List.of("field 'answer': not valid UTF-8: a multi-byte sequence cut off by the end of the "
                + "line (0xf0 0x9f 0x98)"));
        EXPECTED.put(9, List.of("a field name in 'metadata': not valid UTF-8: an overlong encoding "
                + "(0xe0 0x80 0xaf)"));
        EXPECTED.put(10, List.of("field 'prompt': an unpaired surrogate \\uD800, which is not a character"));
        EXPECTED.put(11, List.of("field 'prompt': not valid UTF-8: a code point above U+10FFFF "
                + "(0xf4 0x90 0x80 0x80)"));
        EXPECTED.put(12, List.of("not valid JSON: Trailing token"));
    }

    @Test
    void everyKindOfInvalidUtf8IsABadRowNamingLineFieldAndBytes(@TempDir Path tmp) throws Exception {
        List<byte[]> rows = rows();
        Path file = write(tmp.resolve("p.jsonl"), rows);
        try (JsonlPrompts p = JsonlPrompts.open(file, 1, false, 0)) {
            assertEquals(14, p.totalRows(), "every non-blank line is a row");
            assertEquals(EXPECTED.keySet().stream().toList(), p.badRows().stream().map(b -> (int) b.line()).toList(),
                    p.badRows().toString());
            for (BadRow b : p.badRows()) {
                for (String part : EXPECTED.get((int) b.line())) {
                    assertTrue(b.reason().contains(part), "line " + b.line() + ": '" + part + "' in " + b.reason());
                }
                byte[] original = rows.get((int) b.line() - 1);
                if (b.base64() != null) {
                    assertArrayEquals(original, Base64.getDecoder().decode(b.base64()), "line " + b.line() + " kept");
                } else {
                    assertArrayEquals(original, b.text().getBytes(StandardCharsets.UTF_8), "line " + b.line() + " kept");
                }
            }
            for (int line : List.of(2, 3, 4, 5, 6, 7, 8, 9, 11)) {
                assertTrue(p.badRows().stream().anyMatch(b -> b.line() == line && b.base64() != null),
                        "line " + line + " is not UTF-8: its bytes are kept in base64");
            }
            assertEquals(3, p.size());
            Prompt first = p.at(0);
            assertEquals("p.jsonl:1", first.id());
            assertEquals("21", first.answer());
            Prompt unicode = p.at(1);
            assertEquals("13>", unicode.text());
            assertEquals(Map.of("lang", "é→😀"), unicode.metadata());
            assertEquals("31", unicode.answer());
            Prompt chat = p.at(2);
            assertEquals("m", chat.id());
            assertEquals("15>", chat.messages().get(0).get("content"));
        }
    }

    @Test
    void aByteOrderMarkAtTheStartIsNotPartOfTheFirstRow(@TempDir Path tmp) throws Exception {
        Path file = write(tmp.resolve("bom.jsonl"), List.of(line(bytes(0xef, 0xbb, 0xbf), "{\"prompt\": \"1>\"}"),
                line("{\"prompt\": \"2>\"}")));
        try (JsonlPrompts p = JsonlPrompts.open(file, 1, false, 0)) {
            assertEquals(List.of(), p.badRows());
            assertEquals("1>", p.at(0).text());
            assertEquals("2>", p.at(1).text());
        }
    }

    @Test
    void aReadFailsOnlyWhenTheRowReallyChangedAndThenSaysSo(@TempDir Path tmp) throws Exception {
        Path file = write(tmp.resolve("p.jsonl"), List.of(line("{\"prompt\": \"11>\"}"), line("{\"prompt\": \"22>\"}")));
        try (JsonlPrompts p = JsonlPrompts.open(file, 0, false, 0)) {
            for (int n = 0; n < 6; n++) {
                assertEquals(n % 2 == 0 ? "11>" : "22>", p.at(n).text(), "an unchanged file reads back, epoch after epoch");
            }
            // appended rows change size and time but not the rows the run uses: no read fails, nothing is blamed
            Files.write(file, line("{\"prompt\": \"33>\"}\n"), StandardOpenOption.APPEND);
            assertEquals("22>", p.at(7).text());
            // the second row rewritten in place, same length: the read says the file changed, and how
            byte[] all = Files.readAllBytes(file);
            Files.write(file, new String(all, StandardCharsets.UTF_8).replace("22>", "23>")
                    .getBytes(StandardCharsets.UTF_8));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.at(1));
            assertTrue(e.getMessage().contains(file + ":2: the row is no longer the one validated when the run "
                    + "started: " + file + " was changed while the run uses it"), e.getMessage());
            assertEquals("11>", p.at(0).text(), "the untouched row still reads");
        }
    }
}
