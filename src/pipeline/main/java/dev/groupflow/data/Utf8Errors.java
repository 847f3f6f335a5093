package dev.groupflow.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/**
 * Plain-words descriptions of text that is not Unicode: the kind of an invalid UTF-8 byte sequence (RFC 3629), and
 * a string holding half of a UTF-16 surrogate pair (which JSON's {@code \uD800} escapes can produce).
 */
final class Utf8Errors {
    private Utf8Errors() {
    }

    /** What is wrong with the byte sequence that starts at {@code at}, with its bytes in hex. */
    static String describe(byte[] b, int at) {
        int b0 = b[at] & 0xff;
        if (b0 >= 0x80 && b0 <= 0xBF) {
            return "a continuation byte with no lead byte (" + hex(b, at, 1) + ")";
        }
        if (b0 == 0xC0 || b0 == 0xC1) {
            return "an overlong encoding (" + hex(b, at, 2) + ")";
        }
        if (b0 >= 0xF5) {
            return "a byte that never occurs in UTF-8 (" + hex(b, at, 1) + ")";
        }
        int length = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : 2;
        for (int i = 1; i < length; i++) {
            if (at + i >= b.length) {
                return "a multi-byte sequence cut off by the end of the line (" + hex(b, at, i) + ")";
            }
            if ((b[at + i] & 0xC0) != 0x80) {
                return "a multi-byte sequence cut short by byte " + hex(b, at + i, 1) + " (" + hex(b, at, i + 1) + ")";
            }
        }
        int b1 = b[at + 1] & 0xff;
        if ((b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xF0 && b1 < 0x90)) {
            return "an overlong encoding (" + hex(b, at, length) + ")";
        }
        if (b0 == 0xED && b1 >= 0xA0) {
            return "an encoded UTF-16 surrogate, which is not a character (" + hex(b, at, length) + ")";
        }
        if (b0 == 0xF4 && b1 >= 0x90) {
            return "a code point above U+10FFFF (" + hex(b, at, length) + ")";
        }
        return "a malformed sequence (" + hex(b, at, length) + ")";
    }

    private static String hex(byte[] b, int from, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < Math.min(b.length, from + n); i++) {
            sb.append(sb.length() == 0 ? "" : " ").append(String.format("0x%02x", b[i] & 0xff));
        }
        return sb.toString();
    }

    /**
     * The first string (value or field name) in {@code node} holding an unpaired surrogate, as a problem naming its
     * field ({@code path} is the node's own); null when there is none. Such a string cannot be encoded as UTF-8, so
     * a tokenizer or a run file would see something else than the row says.
     */
    static String unpairedSurrogate(JsonNode node, String path) {
        if (node.isTextual()) {
            int i = unpaired(node.textValue());
            return i < 0 ? null : "field '" + path + "': an unpaired surrogate "
                    + String.format("\\u%04X", (int) node.textValue().charAt(i)) + ", which is not a character";
        }
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String p = unpairedSurrogate(node.get(i), path + "[" + i + "]");
                if (p != null) {
                    return p;
                }
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String p = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
            if (unpaired(e.getKey()) >= 0) {
                return (path.isEmpty() ? "a field name" : "a field name in '" + path + "'")
                        + ": an unpaired surrogate, which is not a character";
            }
            String inner = unpairedSurrogate(e.getValue(), p);
            if (inner != null) {
                return inner;
            }
        }
        return null;
    }

    /** Index of the first unpaired surrogate in {@code s}, or -1. */
    private static int unpaired(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }
}
