package dev.groupflow.safetensors;

import java.util.Arrays;
import java.util.Comparator;

/**
 * The bits of Python's {@code json.dumps} that the Hugging Face layout depends on, so the writer produces
 * byte-identical headers: string quoting with {@code ensure_ascii=True} and {@code sorted()} key order.
 */
final class PyJson {

    /** Python's {@code sorted()} order for str: by Unicode code point (not UTF-16 unit). */
    static final Comparator<String> NAME_ORDER = (a, b) -> Arrays.compare(a.codePoints().toArray(),
            b.codePoints().toArray());

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private PyJson() {
    }

    /** Appends {@code s} as a JSON string literal exactly as Python's json.dumps (ensure_ascii=True) writes it. */
    static StringBuilder quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\b': sb.append("\\b"); break;
                case '\f': sb.append("\\f"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                default:
                    if (c >= 0x20 && c <= 0x7E) {
                        sb.append(c);
                    } else {
                        // Control chars, DEL and all non-ASCII (surrogate pairs as two escapes), lowercase hex.
                        sb.append("\\u").append(HEX[(c >> 12) & 0xF]).append(HEX[(c >> 8) & 0xF])
                                .append(HEX[(c >> 4) & 0xF]).append(HEX[c & 0xF]);
                    }
            }
        }
        return sb.append('"');
    }
}
