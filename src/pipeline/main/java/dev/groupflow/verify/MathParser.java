package dev.groupflow.verify;

import java.math.BigInteger;

/**
 * Reads one cleaned answer ({@link LatexText#clean}) as a number: integers, decimals, {@code + - * /}, powers
 * ({@code ^2}, {@code ^{-1}}, {@code ^{1/2}}), parentheses and braces, {@code \frac{a}{b}} (also
 * {@code \frac12}), {@code \sqrt{x}}, {@code \sqrt[n]{x}}, {@code \pi}, implicit products before a command or
 * parenthesis ({@code 2\sqrt{3}}, {@code 3\pi}, {@code 2(1+x)}), text wrappers around a number
 * ({@code \text{5}}, also {@code \boxed{5}}), a trailing unit in a text wrapper ({@code 5\text{ cm}}) and a trailing percent sign.
 * Anything else (a variable, a mixed number such as {@code 2\frac{1}{2}}, which is ambiguous) is a
 * {@link NotANumber}; inputs that need too much work are a {@link MathBudget.Exceeded}.
 */
final class MathParser {
    private static final String TEXT_COMMANDS = "|text|textbf|textrm|mathrm|mathbf|mbox|textnormal|boxed|fbox|";

    /** The input is not a number this parser reads (the caller may compare it as text instead). */
    static final class NotANumber extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NotANumber(String message) {
            super(message, null, false, false);
        }
    }

    private final String s;
    private final MathBudget budget;
    private final boolean percentIsFraction;
    private int pos;

    private MathParser(String s, MathBudget budget, boolean percentIsFraction) {
        this.s = s;
        this.budget = budget;
        this.percentIsFraction = percentIsFraction;
    }

    /**
     * A number read from an answer.
     *
     * @param value its value
     * @param unit the text of a trailing unit ({@code cm} of {@code 5\text{ cm}}), whitespace removed; "" if none
     */
    record Reading(MathValue value, String unit) {
    }

    /**
     * The value of a cleaned answer.
     *
     * @param percentIsFraction whether {@code 50%} means 1/2 (else the percent sign is dropped: 50)
     */
    static Reading parse(String cleaned, MathBudget budget, boolean percentIsFraction) {
        MathParser p = new MathParser(cleaned, budget, percentIsFraction);
        MathValue v = p.expression();
        p.skipSpaces();
        if (p.peek() == '%') {
            p.pos++;
            if (percentIsFraction) {
                v = Arith.divide(v, MathValue.of(Rational.of(100)), budget);
            }
        }
        String unit = p.trailingUnit();
        p.skipSpaces();
        if (p.pos < p.s.length()) {
            throw new NotANumber("unexpected '" + p.rest() + "'");
        }
        return new Reading(v, unit);
    }

    private String rest() {
        return s.substring(pos, Math.min(s.length(), pos + 20));
    }

    private char peek() {
        return pos < s.length() ? s.charAt(pos) : '\0';
    }

    private void skipSpaces() {
        while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
            pos++;
        }
    }

    private boolean eat(char c) {
        skipSpaces();
        if (peek() == c) {
            pos++;
            return true;
        }
        return false;
    }

    private void expect(char c) {
        if (!eat(c)) {
            throw new NotANumber(pos >= s.length() ? "expected '" + c + "' at the end"
                    : "expected '" + c + "' before '" + rest() + "'");
        }
    }

    /** The command name at pos (after a backslash), without consuming it; "" when there is none. */
    private String commandAhead() {
        skipSpaces();
        if (peek() != '\\') {
            return "";
        }
        int e = pos + 1;
        while (e < s.length() && Character.isLetter(s.charAt(e))) {
            e++;
        }
        return s.substring(pos + 1, e);
    }

    private MathValue expression() {
        MathValue v = term();
        while (true) {
            if (eat('+')) {
                v = Arith.add(v, term(), budget);
            } else if (eat('-')) {
                v = Arith.subtract(v, term(), budget);
            } else {
                return v;
            }
        }
    }

    private MathValue term() {
        MathValue v = unary();
        while (true) {
            skipSpaces();
            if (eat('*')) {
                v = Arith.multiply(v, unary(), budget);
            } else if (eat('/')) {
                v = Arith.divide(v, unary(), budget);
            } else if (peek() == '(' || isImplicitFactor(commandAhead())) {
                v = Arith.multiply(v, power(), budget);
            } else {
                return v;
            }
        }
    }

    private static boolean isImplicitFactor(String command) {
        return command.equals("sqrt") || command.equals("pi");
    }

    /** A signed factor; each sign is a level of nesting, as each group is. */
    private MathValue unary() {
        boolean minus = eat('-');
        if (!minus && !eat('+')) {
            return power();
        }
        budget.enter();
        try {
            MathValue v = unary();
            return minus ? Arith.negate(v) : v;
        } finally {
            budget.leave();
        }
    }

    private MathValue power() {
        MathValue base = primary();
        if (eat('^')) {
            skipSpaces();
            MathValue exponent = peek() == '-' || peek() == '+' ? unary() : argument();
            return Arith.power(base, exponent, budget);
        }
        return base;
    }

    /** A braced group, one digit, or one command (the argument forms of {@code \frac12} and {@code x^2}). */
    private MathValue argument() {
        skipSpaces();
        char c = peek();
        if (c == '{') {
            return primary();
        }
        if (c >= '0' && c <= '9') {
            pos++;
            return MathValue.of(Rational.of(c - '0'));
        }
        if (c == '\\') {
            return primary();
        }
        throw new NotANumber(pos >= s.length() ? "an argument is missing at the end" : "unexpected '" + rest() + "'");
    }

    private MathValue primary() {
        budget.enter();
        try {
            skipSpaces();
            char c = peek();
            if ((c >= '0' && c <= '9') || c == '.') {
                MathValue n = number();
                if (commandAhead().equals("frac")) {
                    throw new NotANumber("a number directly before \\frac (a mixed number?) is ambiguous");
                }
                return n;
            }
            if (c == '(' || c == '{' || c == '[') {
                pos++;
                MathValue v = expression();
                expect(c == '(' ? ')' : c == '{' ? '}' : ']');
                return v;
            }
            if (c == '\\') {
                return command();
            }
            throw new NotANumber(pos >= s.length() ? "the answer ends too soon" : "unexpected '" + rest() + "'");
        } finally {
            budget.leave();
        }
    }

    private MathValue number() {
        int start = pos;
        while (pos < s.length() && (Character.isDigit(s.charAt(pos)) && s.charAt(pos) < 128)) {
            pos++;
        }
        if (peek() == '.') {
            pos++;
            while (pos < s.length() && Character.isDigit(s.charAt(pos)) && s.charAt(pos) < 128) {
                pos++;
            }
        }
        String literal = s.substring(start, pos);
        if (literal.equals(".")) {
            throw new NotANumber("a lone '.'");
        }
        budget.tick();
        return MathValue.of(budget.check(Rational.decimal(literal.endsWith(".") ? literal + "0" : literal)));
    }

    private MathValue command() {
        String name = commandAhead();
        pos += 1 + name.length();
        switch (name) {
            case "frac" -> {
                MathValue num = argument();
                return Arith.divide(num, argument(), budget);
            }
            case "sqrt" -> {
                int index = 2;
                if (eat('[')) {
                    MathValue n = expression();
                    expect(']');
                    if (!n.isExact() || !n.exact().isInteger() || n.exact().num().compareTo(BigInteger.TWO) < 0
                            || n.exact().num().compareTo(BigInteger.valueOf(64)) > 0) {
                        throw new NotANumber("a root index must be an integer from 2 to 64");
                    }
                    index = n.exact().num().intValue();
                }
                return Arith.root(argument(), index);
            }
            case "pi" -> {
                return MathValue.approximate(Math.PI);
            }
            default -> {
                if (TEXT_COMMANDS.contains("|" + name + "|") && !name.isEmpty()) {
                    expectAhead('{');
                    return primary();
                }
                throw new NotANumber("\\" + name + " is not a number");
            }
        }
    }

    private void expectAhead(char c) {
        skipSpaces();
        if (peek() != c) {
            throw new NotANumber("expected '" + c + "' after a command");
        }
    }

    /** A unit after the number: {@code \text{ cm}}, {@code \mbox{m}}, {@code \mathrm{kg}} (letters only). */
    private String trailingUnit() {
        String name = commandAhead();
        if (name.isEmpty() || !TEXT_COMMANDS.contains("|" + name + "|")) {
            return "";
        }
        int save = pos;
        pos += 1 + name.length();
        skipSpaces();
        int close = peek() == '{' ? s.indexOf('}', pos) : -1;
        if (close > 0 && isUnit(s.substring(pos + 1, close))) {
            String unit = s.substring(pos + 1, close).replaceAll("\\s+", "");
            pos = close + 1;
            return unit;
        }
        pos = save;
        return "";
    }

    /** Letters, with spaces, dots, slashes, carets and digits between them ("cm", "m/s", "km^2"). */
    private static boolean isUnit(String text) {
        boolean letter = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isLetter(c)) {
                letter = true;
            } else if (!(Character.isWhitespace(c) || c == '.' || c == '/' || c == '^' || (c >= '0' && c <= '9'))) {
                return false;
            }
        }
        return letter;
    }
}
