package dev.groupflow.jinja;

import dev.groupflow.jinja.Ast.Args;
import dev.groupflow.jinja.Ast.Expr;
import dev.groupflow.jinja.Ast.Node;
import dev.groupflow.jinja.Token.Kind;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Parses a template into statement nodes: text, print tags and the block tags HF chat templates
 * use ({@code if}, {@code for}, {@code set}, {@code macro}, {@code call}, {@code filter}, {@code
 * with}, {@code break}/{@code continue}, {@code generation}), with Jinja2's messages for unknown
 * or misplaced tags. Expressions are parsed by {@link ExpressionParser}.
 */
final class Parser extends ExpressionParser {
    private int loopDepth;

    private Parser(List<Token> tokens) {
        super(tokens);
    }

    static List<Node> parse(String source) {
        Parser p = new Parser(Lexer.tokenize(source));
        List<Node> body = p.subparse(null);
        if (!p.cur().is(Kind.EOF)) {
            throw p.fail("unexpected " + p.cur().describe(), p.cur());
        }
        return body;
    }

    // ------------------------------------------------------------------ statements

    private List<Node> subparse(List<String> endTokens) {
        List<Node> body = new ArrayList<>();
        if (endTokens != null) {
            endTokenStack.push(endTokens);
        }
        try {
            while (!cur().is(Kind.EOF)) {
                Token t = cur();
                switch (t.kind()) {
                    case DATA -> {
                        next();
                        body.add(new Ast.Text(t.line(), t.text()));
                    }
                    case VAR_BEGIN -> {
                        next();
                        Expr e = parseTuple(true, null, false);
                        expect(Kind.VAR_END, "'end of print statement'");
                        body.add(new Ast.Print(t.line(), e));
                    }
                    case BLOCK_BEGIN -> {
                        next();
                        if (endTokens != null && cur().is(Kind.NAME) && endTokens.contains(cur().text())) {
                            return body;
                        }
                        body.add(parseStatement());
                        expect(Kind.BLOCK_END, "'end of statement block'");
                    }
                    default -> throw fail("unexpected " + t.describe(), t);
                }
            }
            return body;
        } finally {
            if (endTokens != null) {
                endTokenStack.pop();
            }
        }
    }

    private List<Node> parseStatements(List<String> endTokens, boolean dropNeedle) {
        skipOp(":");
        expect(Kind.BLOCK_END, "'end of statement block'");
        List<Node> result = subparse(endTokens);
        if (cur().is(Kind.EOF)) {
            throw failEof(endTokens);
        }
        if (dropNeedle) {
            next();
        }
        return result;
    }

    private static final Set<String> KNOWN_TAGS = Set.of("if", "for", "set", "macro", "call",
            "filter", "with", "break", "continue", "generation");
    private static final Set<String> UNSUPPORTED_TAGS = Set.of("block", "extends", "include",
            "import", "from", "autoescape", "print");

    private Node parseStatement() {
        Token t = cur();
        if (!t.is(Kind.NAME)) {
            throw fail("tag name expected", t);
        }
        if (UNSUPPORTED_TAGS.contains(t.text())) {
            throw fail("the '" + t.text() + "' tag is not supported by this template engine", t);
        }
        if (!KNOWN_TAGS.contains(t.text())) {
            throw failUnknownTag(t.text(), new ArrayList<>(endTokenStack), t);
        }
        enter();
        tagStack.push(t.text());
        try {
            return switch (t.text()) {
                case "if" -> parseIf();
                case "for" -> parseFor();
                case "set" -> parseSet();
                case "macro" -> parseMacro();
                case "call" -> parseCallBlock();
                case "filter" -> parseFilterBlock();
                case "with" -> parseWith();
                case "break", "continue" -> parseLoopControl();
                default -> {
                    next();
                    yield new Ast.ScopedBlock(t.line(),
                            inFrame(() -> parseStatements(List.of("endgeneration"), true)));
                }
            };
        } finally {
            tagStack.pop();
            depth--;
        }
    }

    /** Parses a body that is its own frame: not soft, and loop controls inside must have their own loop. */
    private <T> T inFrame(Supplier<T> body) {
        boolean savedSoft = soft;
        soft = false;
        try {
            return body.get();
        } finally {
            soft = savedSoft;
        }
    }

    private Node parseIf() {
        int line = next().line();
        boolean savedSoft = soft;
        soft = true;
        try {
            List<Expr> tests = new ArrayList<>();
            List<List<Node>> bodies = new ArrayList<>();
            List<Node> otherwise = List.of();
            while (true) {
                tests.add(parseTuple(false, null, false));
                bodies.add(parseStatements(List.of("elif", "else", "endif"), false));
                Token t = next();
                if (t.text().equals("elif")) {
                    continue;
                }
                if (t.text().equals("else")) {
                    otherwise = parseStatements(List.of("endif"), true);
                }
                break;
            }
            return new Ast.If(line, tests, bodies, otherwise);
        } finally {
            soft = savedSoft;
        }
    }

    private Node parseFor() {
        int line = next().line();
        Expr target = parseAssignTarget(List.of("in"), false);
        expectName("in");
        Expr iter = parseTuple(false, List.of("recursive"), false);
        Expr filter = null;
        boolean savedSoft = soft;
        soft = false;
        int savedLoops = loopDepth;
        try {
            if (skipName("if")) {
                filter = parseExpression(true);
            }
            boolean recursive = skipName("recursive");
            loopDepth++;
            List<Node> body = parseStatements(List.of("endfor", "else"), false);
            loopDepth = savedLoops;
            List<Node> otherwise = List.of();
            if (next().text().equals("else")) {
                otherwise = parseStatements(List.of("endfor"), true);
            }
            return new Ast.For(line, target, iter, filter, body, otherwise, recursive);
        } finally {
            soft = savedSoft;
            loopDepth = savedLoops;
        }
    }

    private Node parseLoopControl() {
        Token t = next();
        if (loopDepth == 0) {
            throw fail("'" + t.text() + "' outside loop", t);
        }
        return t.text().equals("break") ? new Ast.Break(t.line()) : new Ast.Continue(t.line());
    }

    private Node parseSet() {
        int line = next().line();
        Expr target = parseAssignTarget(null, true);
        if (skipOp("=")) {
            return new Ast.Set(line, target, parseTuple(true, null, false));
        }
        Ast.FilterExpr filter = (Ast.FilterExpr) parseFilter(null, false);
        List<Node> body = inFrame(() -> parseStatements(List.of("endset"), true));
        return new Ast.SetBlock(line, target, filter, body);
    }

    private Node parseMacro() {
        int line = next().line();
        String name = expect(Kind.NAME, "name").text();
        return parseMacroRest(line, name);
    }

    private Ast.MacroDef parseMacroRest(int line, String name) {
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        parseSignature(params, defaults);
        int savedLoops = loopDepth;
        loopDepth = 0;
        try {
            List<Node> body = inFrame(() -> parseStatements(List.of("endmacro"), true));
            NameScan scan = new NameScan();
            scan.nodes(body);
            return new Ast.MacroDef(line, name, params, defaults, body, scan.found.contains("varargs"),
                    scan.found.contains("kwargs"), scan.found.contains("caller"));
        } finally {
            loopDepth = savedLoops;
        }
    }

    private void parseSignature(List<String> params, List<Expr> defaults) {
        expectOp("(");
        while (!cur().isOp(")")) {
            if (!params.isEmpty()) {
                expectOp(",");
            }
            params.add(expect(Kind.NAME, "name").text());
            if (skipOp("=")) {
                defaults.add(parseExpression(true));
            } else if (!defaults.isEmpty()) {
                throw fail("non-default argument follows default argument", cur());
            }
        }
        expectOp(")");
    }

    private Node parseCallBlock() {
        Token start = next();
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        if (cur().isOp("(")) {
            parseSignature(params, defaults);
        }
        Expr call = parseExpression(true);
        if (!(call instanceof Ast.Call c)) {
            throw fail("expected call", start);
        }
        int savedLoops = loopDepth;
        loopDepth = 0;
        try {
            List<Node> body = inFrame(() -> parseStatements(List.of("endcall"), true));
            NameScan scan = new NameScan();
            scan.nodes(body);
            Ast.MacroDef caller = new Ast.MacroDef(start.line(), "caller", params, defaults, body,
                    scan.found.contains("varargs"), scan.found.contains("kwargs"), scan.found.contains("caller"));
            return new Ast.CallBlock(start.line(), c, caller);
        } finally {
            loopDepth = savedLoops;
        }
    }

    private Node parseFilterBlock() {
        int line = next().line();
        Ast.FilterExpr filter = (Ast.FilterExpr) parseFilter(null, true);
        List<Node> body = inFrame(() -> parseStatements(List.of("endfilter"), true));
        return new Ast.FilterBlock(line, filter, body);
    }

    private Node parseWith() {
        int line = next().line();
        List<Expr> targets = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        while (!cur().is(Kind.BLOCK_END)) {
            if (!targets.isEmpty()) {
                expectOp(",");
            }
            targets.add(parseAssignTarget(null, false));
            expectOp("=");
            values.add(parseExpression(true));
        }
        List<Node> body = inFrame(() -> parseStatements(List.of("endwith"), true));
        return new Ast.With(line, targets, values, body);
    }

    /** Finds which of {@code varargs}, {@code kwargs}, {@code caller} a macro body mentions. */
    private static final class NameScan {
        final Set<String> found = new HashSet<>();

        void nodes(List<Node> nodes) {
            for (Node n : nodes) {
                node(n);
            }
        }

        void node(Node n) {
            for (Object part : recordParts(n)) {
                visit(part);
            }
        }

        private void visit(Object part) {
            if (part instanceof Ast.Name name) {
                found.add(name.name());
            } else if (part instanceof Node n) {
                node(n);
            } else if (part instanceof Expr e) {
                for (Object p : recordParts(e)) {
                    visit(p);
                }
            } else if (part instanceof Args a) {
                for (Object p : recordParts(a)) {
                    visit(p);
                }
            } else if (part instanceof List<?> l) {
                for (Object o : l) {
                    visit(o);
                }
            }
        }

        private static List<Object> recordParts(Object record) {
            List<Object> parts = new ArrayList<>();
            for (var c : record.getClass().getRecordComponents()) {
                try {
                    parts.add(c.getAccessor().invoke(record));
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }
            return parts;
        }
    }
}
