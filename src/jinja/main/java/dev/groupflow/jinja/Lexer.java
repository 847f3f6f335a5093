package dev.groupflow.jinja;

import dev.groupflow.jinja.Token.Kind;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits template source into tokens the way Jinja2's lexer does with {@code trim_blocks=True},
 * {@code lstrip_blocks=True} and {@code keep_trailing_newline=False}: newlines are normalized to
 * {@code \n}, one trailing newline is dropped, {@code -} strips whitespace around a tag, {@code +}
 * disables lstrip/trim for a tag, and raw blocks pass through untouched.
 */
final class Lexer {
    private static final Pattern RAW_BEGIN = Pattern.compile("\\{%([-+]?)\\s*raw\\s*(-%\\}\\s*|%\\})");
    private static final Pattern RAW_END =
            Pattern.compile("(.*?)(\\{%([-+]?)\\s*endraw\\s*(\\+%\\}|-%\\}\\s*|%\\}\\n?))", Pattern.DOTALL);
    private static final Pattern FLOAT =
            Pattern.compile(
                    "(?<!\\.)(\\d+_)*\\d+((\\.(\\d+_)*\\d+)?e[+\\-]?(\\d+_)*\\d+|\\.(\\d+_)*\\d+)",
                    Pattern.CASE_INSENSITIVE);
    private static final Pattern INTEGER =
            Pattern.compile(
                    "0b(_?[01])+|0o(_?[0-7])+|0x(_?[0-9a-f])+|[1-9](_?\\d)*|0(_?0)*", Pattern.CASE_INSENSITIVE);
    private static final Pattern NAME = Pattern.compile("[\\p{L}\\p{Nl}_][\\p{L}\\p{Nl}\\p{Mn}\\p{Mc}\\p{Nd}\\p{Pc}]*");
    private static final Pattern STRING =
            Pattern.compile("'([^'\\\\]*(?:\\\\.[^'\\\\]*)*)'|\"([^\"\\\\]*(?:\\\\.[^\"\\\\]*)*)\"", Pattern.DOTALL);
    private static final String[] OPERATORS = {
        "//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}",
        ">", "<", "=", ".", ":", "|", ",", ";"
    };

    private final String src;
    private final int[] lineStarts;
    private final List<Token> out = new ArrayList<>();
    private int pos;
    private boolean lineStarting = true;

    private Lexer(String source) {
        String normalized = source.replace("\r\n", "\n").replace('\r', '\n');
        if (normalized.endsWith("\n")) {
            normalized = normalized.substring(0, normalized.length() - 1);
        }
        this.src = normalized;
        int[] starts = new int[16];
        int n = 0;
        starts[n++] = 0;
        for (int i = 0; i < src.length(); i++) {
            if (src.charAt(i) == '\n') {
                if (n == starts.length) {
                    starts = Arrays.copyOf(starts, n * 2);
                }
                starts[n++] = i + 1;
            }
        }
        this.lineStarts = Arrays.copyOf(starts, n);
    }

    /** Tokenizes a whole template; the last token is always {@link Kind#EOF}. */
    static List<Token> tokenize(String source) {
        Lexer lexer = new Lexer(source);
        lexer.run();
        return lexer.out;
    }

    private int lineOf(int offset) {
        int idx = Arrays.binarySearch(lineStarts, offset);
        return idx >= 0 ? idx + 1 : -idx - 1;
    }

    private int columnOf(int offset) {
        return offset - lineStarts[lineOf(offset) - 1] + 1;
    }

    private TemplateSyntaxException error(String msg, int offset) {
        return new TemplateSyntaxException(msg, lineOf(offset), columnOf(offset));
    }

    private void emit(Kind kind, String text, Object value, int offset) {
        out.add(new Token(kind, text, value, lineOf(offset), columnOf(offset)));
    }

    private void run() {
        int len = src.length();
        while (pos < len) {
            int tag = findTagStart(pos);
            if (tag < 0) {
                emit(Kind.DATA, src.substring(pos), src.substring(pos), pos);
                break;
            }
            Matcher raw = RAW_BEGIN.matcher(src).region(tag, len);
            boolean isRaw = raw.lookingAt();
            char type = src.charAt(tag + 1);
            char sign = isRaw ? signOf(raw.group(1)) : signAt(tag + 2);
            String text = applyLeftControl(src.substring(pos, tag), sign, type != '{');
            if (!text.isEmpty()) {
                emit(Kind.DATA, text, text, pos);
            }
            if (isRaw) {
                lexRaw(raw.end());
            } else if (type == '#') {
                lexComment(tag + 2 + (sign == 0 ? 0 : 1));
            } else {
                lexTag(tag, type == '{', tag + 2 + (sign == 0 ? 0 : 1));
            }
        }
        emit(Kind.EOF, "", null, len);
    }

    private int findTagStart(int from) {
        int i = src.indexOf('{', from);
        while (i >= 0 && i + 1 < src.length()) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
            i = src.indexOf('{', i + 1);
        }
        return -1;
    }

    private char signAt(int i) {
        if (i < src.length() && (src.charAt(i) == '-' || src.charAt(i) == '+')) {
            return src.charAt(i);
        }
        return 0;
    }

    private static char signOf(String s) {
        return s.isEmpty() ? 0 : s.charAt(0);
    }

    /** Applies {@code -} stripping or lstrip_blocks to the text before a tag. */
    private String applyLeftControl(String text, char sign, boolean lstripApplies) {
        if (sign == '-') {
            return Py.rstripWhitespace(text);
        }
        if (sign != '+' && lstripApplies) {
            int lpos = text.lastIndexOf('\n') + 1;
            if ((lpos > 0 || lineStarting) && lpos < text.length() && allSpace(text, lpos)) {
                return text.substring(0, lpos);
            }
        }
        return text;
    }

    private static boolean allSpace(String text, int from) {
        for (int i = from; i < text.length(); i++) {
            if (!Py.isSpace(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private void lexRaw(int start) {
        lineStarting = src.charAt(start - 1) == '\n';
        Matcher m = RAW_END.matcher(src).region(start, src.length());
        if (!m.lookingAt()) {
            throw error("Missing end of raw directive", start);
        }
        String text = applyLeftControl(m.group(1), signOf(m.group(3)), true);
        if (!text.isEmpty()) {
            emit(Kind.DATA, text, text, start);
        }
        pos = m.end();
        lineStarting = src.charAt(pos - 1) == '\n';
    }

    private void lexComment(int start) {
        int end = src.indexOf("#}", start);
        if (end < 0) {
            throw error("Missing end of comment tag", start);
        }
        char sign = end - 1 >= start ? signAt(end - 1) : 0;
        pos = end + 2;
        pos = sign == '-' ? skipWhitespace(pos) : sign == '+' ? pos : skipOneNewline(pos);
        lineStarting = src.charAt(pos - 1) == '\n';
    }

    private int skipWhitespace(int i) {
        while (i < src.length() && Py.isSpace(src.charAt(i))) {
            i++;
        }
        return i;
    }

    private int skipOneNewline(int i) {
        return i < src.length() && src.charAt(i) == '\n' ? i + 1 : i;
    }

    /** Lexes the inside of a {@code {{ }}} or {@code {% %}} tag, starting after its opening. */
    private void lexTag(int tagStart, boolean variable, int start) {
        emit(variable ? Kind.VAR_BEGIN : Kind.BLOCK_BEGIN, variable ? "{{" : "{%", null, tagStart);
        String close = variable ? "}}" : "%}";
        Deque<Character> balance = new ArrayDeque<>();
        int i = start;
        int len = src.length();
        while (true) {
            if (i >= len) {
                pos = len;
                lineStarting = false;
                return; // the parser reports the missing end of the tag
            }
            if (balance.isEmpty()) {
                int end = matchTagEnd(i, close, variable);
                if (end >= 0) {
                    emit(variable ? Kind.VAR_END : Kind.BLOCK_END, close, null, i);
                    pos = end;
                    lineStarting = src.charAt(end - 1) == '\n';
                    return;
                }
            }
            char c = src.charAt(i);
            if (Py.isSpace(c)) {
                i++;
                continue;
            }
            i = lexExpressionToken(i, balance);
        }
    }

    /** Returns the offset after the tag end at {@code i}, or -1 if no tag end starts there. */
    private int matchTagEnd(int i, String close, boolean variable) {
        if (!variable && src.startsWith("+" + close, i)) {
            return i + 3;
        }
        if (src.startsWith("-" + close, i)) {
            return skipWhitespace(i + 3);
        }
        if (src.startsWith(close, i)) {
            return variable ? i + 2 : skipOneNewline(i + 2);
        }
        return -1;
    }

    private int lexExpressionToken(int i, Deque<Character> balance) {
        int len = src.length();
        Matcher m = FLOAT.matcher(src).region(i, len).useTransparentBounds(true);
        if (m.lookingAt()) {
            String text = m.group();
            emit(Kind.FLOAT, text, Double.parseDouble(text.replace("_", "")), i);
            return m.end();
        }
        m = INTEGER.matcher(src).region(i, len);
        if (m.lookingAt()) {
            String text = m.group();
            emit(Kind.INTEGER, text, parseInteger(text, i), i);
            return m.end();
        }
        m = NAME.matcher(src).region(i, len);
        if (m.lookingAt()) {
            emit(Kind.NAME, m.group(), m.group(), i);
            return m.end();
        }
        m = STRING.matcher(src).region(i, len);
        if (m.lookingAt()) {
            String body = m.group(1) != null ? m.group(1) : m.group(2);
            emit(Kind.STRING, m.group(), unescape(body, i), i);
            return m.end();
        }
        for (String op : OPERATORS) {
            if (src.startsWith(op, i)) {
                checkBalance(op, balance, i);
                emit(Kind.OP, op, null, i);
                return i + op.length();
            }
        }
        throw error("unexpected char " + Py.repr(String.valueOf(src.charAt(i))) + " at " + i, i);
    }

    private void checkBalance(String op, Deque<Character> balance, int i) {
        switch (op) {
            case "{" -> balance.push('}');
            case "(" -> balance.push(')');
            case "[" -> balance.push(']');
            case "}", ")", "]" -> {
                if (balance.isEmpty()) {
                    throw error("unexpected '" + op + "'", i);
                }
                char expected = balance.pop();
                if (expected != op.charAt(0)) {
                    throw error("unexpected '" + op + "', expected '" + expected + "'", i);
                }
            }
            default -> { }
        }
    }

    private Object parseInteger(String text, int offset) {
        String digits = text.replace("_", "").toLowerCase();
        int radix = 10;
        if (digits.length() > 1 && digits.charAt(0) == '0' && Character.isLetter(digits.charAt(1))) {
            radix = switch (digits.charAt(1)) {
                case 'b' -> 2;
                case 'o' -> 8;
                default -> 16;
            };
            digits = digits.substring(2);
        }
        try {
            return Long.parseLong(digits, radix);
        } catch (NumberFormatException e) {
            throw error("integer literal too large: " + text, offset);
        }
    }

    /** Decodes a string literal body like Python's {@code unicode-escape} codec does. */
    private String unescape(String body, int offset) {
        if (body.indexOf('\\') < 0) {
            return body;
        }
        StringBuilder sb = new StringBuilder(body.length());
        int i = 0;
        while (i < body.length()) {
            char c = body.charAt(i);
            if (c != '\\' || i + 1 >= body.length()) {
                sb.append(c);
                i++;
                continue;
            }
            char e = body.charAt(i + 1);
            i += 2;
            switch (e) {
                case '\n' -> { }
                case '\\', '\'', '"' -> sb.append(e);
                case 'a' -> sb.append('\u0007');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'v' -> sb.append('\u000b');
                case 'x', 'u', 'U' -> {
                    int width = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    int end = i;
                    while (end < body.length() && end - i < width && Character.digit(body.charAt(end), 16) >= 0) {
                        end++;
                    }
                    if (end - i < width) {
                        throw error("truncated \\" + e + "XXXX escape in string literal", offset);
                    }
                    long cp = Long.parseLong(body.substring(i, end), 16);
                    if (cp > Character.MAX_CODE_POINT) {
                        throw error("illegal Unicode character in string literal", offset);
                    }
                    sb.appendCodePoint((int) cp);
                    i = end;
                }
                case 'N' -> {
                    int close = body.indexOf('}', i);
                    if (i >= body.length() || body.charAt(i) != '{' || close < 0) {
                        throw error("malformed \\N character escape in string literal", offset);
                    }
                    try {
                        sb.appendCodePoint(Character.codePointOf(body.substring(i + 1, close)));
                    } catch (IllegalArgumentException ex) {
                        throw error("unknown Unicode character name in string literal", offset);
                    }
                    i = close + 1;
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        int value = e - '0';
                        int digits = 1;
                        while (digits < 3 && i < body.length() && body.charAt(i) >= '0' && body.charAt(i) <= '7') {
                            value = value * 8 + (body.charAt(i++) - '0');
                            digits++;
                        }
                        sb.append((char) value);
                    } else if (e > 0x7f) {
                        // Jinja2 escapes non-ASCII as \\xNN / \\uNNNN first, so "\é" survives as those chars.
                        int cp = body.codePointAt(i - 1);
                        i += Character.charCount(cp) - 1;
                        sb.append('\\').append(cp < 0x100 ? String.format("x%02x", cp)
                                : cp < 0x10000 ? String.format("u%04x", cp) : String.format("U%08x", cp));
                    } else {
                        sb.append('\\').append(e);
                    }
                }
            }
        }
        return sb.toString();
    }
}
