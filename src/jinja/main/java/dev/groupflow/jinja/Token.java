package dev.groupflow.jinja;

/** One lexical token; {@code value} holds the decoded literal for strings and numbers. */
record Token(Kind kind, String text, Object value, int line, int column) {

    enum Kind {
        DATA,
        VAR_BEGIN,
        VAR_END,
        BLOCK_BEGIN,
        BLOCK_END,
        NAME,
        STRING,
        INTEGER,
        FLOAT,
        OP,
        EOF
    }

    boolean is(Kind k) {
        return kind == k;
    }

    boolean isOp(String op) {
        return kind == Kind.OP && text.equals(op);
    }

    boolean isName(String name) {
        return kind == Kind.NAME && text.equals(name);
    }

    /** How Jinja2 describes a token in error messages. */
    String describe() {
        return switch (kind) {
            case DATA -> "template data";
            case VAR_BEGIN -> "begin of print statement";
            case VAR_END -> "end of print statement";
            case BLOCK_BEGIN -> "begin of statement block";
            case BLOCK_END -> "end of statement block";
            case EOF -> "end of template";
            case STRING -> "string";
            case INTEGER -> "integer";
            case FLOAT -> "float";
            case NAME, OP -> text;
        };
    }
}
