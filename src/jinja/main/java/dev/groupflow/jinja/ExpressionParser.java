package dev.groupflow.jinja;

import dev.groupflow.jinja.Ast.Args;
import dev.groupflow.jinja.Ast.Expr;
import dev.groupflow.jinja.Token.Kind;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;

/**
 * The expression half of the parser: Jinja2's expression grammar and precedence (including its
 * quirks: {@code **} is left-associative, filters and tests bind tighter than arithmetic, a missing
 * {@code else} in an inline if yields undefined), token-stream helpers and Jinja2-style syntax
 * error messages. Like Jinja2's compiler it rejects unknown filters and tests at compile time
 * unless they sit inside an {@code if} or inline-if ({@link #soft}).
 */
class ExpressionParser {
    private static final Set<String> COMPARE_OPS = Set.of("==", "!=", "<", "<=", ">", ">=");
    private static final Set<String> TEST_ARG_START = Set.of("(", "[", "{");

    final List<Token> tokens;
    int pos;
    final Deque<String> tagStack = new ArrayDeque<>();
    final Deque<List<String>> endTokenStack = new ArrayDeque<>();
    /** Inside an if or inline-if, where unknown filters and tests only fail when evaluated. */
    boolean soft;
    int depth;

    ExpressionParser(List<Token> tokens) {
        this.tokens = tokens;
    }

    // ------------------------------------------------------------------ token helpers

    Token cur() {
        return tokens.get(pos);
    }

    Token peek() {
        return tokens.get(Math.min(pos + 1, tokens.size() - 1));
    }

    Token next() {
        Token t = tokens.get(pos);
        if (pos < tokens.size() - 1) {
            pos++;
        }
        return t;
    }

    TemplateSyntaxException fail(String msg, Token at) {
        return new TemplateSyntaxException(msg, at.line(), at.column());
    }

    boolean skipOp(String op) {
        if (cur().isOp(op)) {
            next();
            return true;
        }
        return false;
    }

    boolean skipName(String name) {
        if (cur().isName(name)) {
            next();
            return true;
        }
        return false;
    }

    Token expectOp(String op) {
        if (!cur().isOp(op)) {
            throw unexpected("'" + op + "'");
        }
        return next();
    }

    Token expect(Kind kind, String what) {
        if (!cur().is(kind)) {
            throw unexpected(what);
        }
        return next();
    }

    Token expectName(String name) {
        if (!cur().isName(name)) {
            throw unexpected("'" + name + "'");
        }
        return next();
    }

    TemplateSyntaxException unexpected(String expected) {
        Token t = cur();
        if (t.is(Kind.EOF)) {
            return fail("unexpected end of template, expected " + expected + ".", t);
        }
        return fail("expected token " + expected + ", got '" + t.describe() + "'", t);
    }

    void enter() {
        if (++depth > Interpreter.MAX_NESTING) {
            throw fail("template nested too deeply (more than " + Interpreter.MAX_NESTING + " levels)", cur());
        }
    }

    TemplateSyntaxException failEof(List<String> extra) {
        List<List<String>> stack = new ArrayList<>(endTokenStack);
        if (extra != null) {
            stack.add(0, extra);
        }
        return failUnknownTag(null, stack, cur());
    }

    TemplateSyntaxException failUnknownTag(String name, List<List<String>> stack, Token at) {
        StringBuilder msg = new StringBuilder(name == null ? "Unexpected end of template."
                : "Encountered unknown tag '" + name + "'.");
        if (!stack.isEmpty()) {
            List<String> looking = stack.get(0);
            boolean expected = name != null && stack.stream().anyMatch(l -> l.contains(name));
            String names = String.join(" or ", looking.stream().map(s -> "'" + s + "'").toList());
            if (name != null && expected) {
                msg.append(" You probably made a nesting mistake. Jinja is expecting this tag, but"
                        + " currently looking for ").append(names).append('.');
            } else {
                msg.append(" Jinja was looking for the following tags: ").append(names).append('.');
            }
        }
        if (!tagStack.isEmpty()) {
            msg.append(" The innermost block that needs to be closed is '").append(tagStack.peek())
                    .append("'.");
        }
        return fail(msg.toString(), at);
    }

    Expr parseAssignTarget(List<String> extraEnd, boolean withNamespace) {
        Token start = cur();
        Expr target = parseTuple(true, extraEnd, false, true, withNamespace);
        checkAssignable(target, start);
        return target;
    }

    void checkAssignable(Expr target, Token at) {
        if (target instanceof Ast.Name n) {
            if (Set.of("true", "false", "none", "True", "False", "None").contains(n.name())) {
                throw fail("can't assign to 'const'", at);
            }
        } else if (target instanceof Ast.TupleExpr t) {
            for (Expr e : t.items()) {
                checkAssignable(e, at);
            }
        } else if (!(target instanceof Ast.NsRef)) {
            throw fail("can't assign to '" + target.getClass().getSimpleName().toLowerCase() + "'", at);
        }
    }

    // ------------------------------------------------------------------ expressions

    Expr parseTuple(boolean withCondexpr, List<String> extraEnd, boolean explicitParens) {
        return parseTuple(withCondexpr, extraEnd, explicitParens, false, false);
    }

    Expr parseTuple(boolean withCondexpr, List<String> extraEnd, boolean explicitParens,
            boolean simplified, boolean withNamespace) {
        int line = cur().line();
        List<Expr> args = new ArrayList<>();
        boolean isTuple = false;
        while (true) {
            if (!args.isEmpty()) {
                expectOp(",");
            }
            if (isTupleEnd(extraEnd)) {
                break;
            }
            args.add(simplified ? parsePrimary(withNamespace) : parseExpression(withCondexpr));
            if (cur().isOp(",")) {
                isTuple = true;
            } else {
                break;
            }
        }
        if (!isTuple) {
            if (!args.isEmpty()) {
                return args.get(0);
            }
            if (!explicitParens) {
                if (cur().is(Kind.EOF)) {
                    throw failEof(null);
                }
                throw fail("Expected an expression, got '" + cur().describe() + "'", cur());
            }
        }
        return new Ast.TupleExpr(line, args);
    }

    boolean isTupleEnd(List<String> extraEnd) {
        Token t = cur();
        if (t.is(Kind.VAR_END) || t.is(Kind.BLOCK_END) || t.isOp(")")) {
            return true;
        }
        return extraEnd != null && t.is(Kind.NAME) && extraEnd.contains(t.text());
    }

    Expr parseExpression(boolean withCondexpr) {
        enter();
        try {
            return withCondexpr ? parseCondexpr() : parseOr();
        } finally {
            depth--;
        }
    }

    Expr parseCondexpr() {
        int line = cur().line();
        Expr expr1 = parseOr();
        while (skipName("if")) {
            boolean savedSoft = soft;
            soft = true;
            try {
                Expr expr2 = parseOr();
                Expr expr3 = skipName("else") ? parseCondexpr() : null;
                expr1 = new Ast.CondExpr(line, expr2, expr1, expr3);
            } finally {
                soft = savedSoft;
            }
            line = cur().line();
        }
        return expr1;
    }

    Expr parseOr() {
        int line = cur().line();
        Expr left = parseAnd();
        while (skipName("or")) {
            left = new Ast.Logical(line, false, left, parseAnd());
        }
        return left;
    }

    Expr parseAnd() {
        int line = cur().line();
        Expr left = parseNot();
        while (skipName("and")) {
            left = new Ast.Logical(line, true, left, parseNot());
        }
        return left;
    }

    Expr parseNot() {
        if (cur().isName("not")) {
            int line = next().line();
            enter();
            try {
                return new Ast.Unary(line, "not", parseNot());
            } finally {
                depth--;
            }
        }
        return parseCompare();
    }

    Expr parseCompare() {
        int line = cur().line();
        Expr expr = parseMath1();
        List<String> ops = new ArrayList<>();
        List<Expr> operands = new ArrayList<>();
        while (true) {
            Token t = cur();
            if (t.is(Kind.OP) && COMPARE_OPS.contains(t.text())) {
                next();
                ops.add(t.text());
            } else if (skipName("in")) {
                ops.add("in");
            } else if (t.isName("not") && peek().isName("in")) {
                next();
                next();
                ops.add("not in");
            } else {
                break;
            }
            operands.add(parseMath1());
        }
        return ops.isEmpty() ? expr : new Ast.Compare(line, expr, ops, operands);
    }

    Expr parseMath1() {
        int line = cur().line();
        Expr left = parseConcat();
        while (cur().isOp("+") || cur().isOp("-")) {
            String op = next().text();
            left = new Ast.Binary(line, op, left, parseConcat());
        }
        return left;
    }

    Expr parseConcat() {
        int line = cur().line();
        List<Expr> args = new ArrayList<>();
        args.add(parseMath2());
        while (skipOp("~")) {
            args.add(parseMath2());
        }
        return args.size() == 1 ? args.get(0) : new Ast.Concat(line, args);
    }

    Expr parseMath2() {
        int line = cur().line();
        Expr left = parsePow();
        while (cur().isOp("*") || cur().isOp("/") || cur().isOp("//") || cur().isOp("%")) {
            String op = next().text();
            left = new Ast.Binary(line, op, left, parsePow());
        }
        return left;
    }

    Expr parsePow() {
        int line = cur().line();
        Expr left = parseUnary(true);
        while (skipOp("**")) {
            left = new Ast.Binary(line, "**", left, parseUnary(true));
        }
        return left;
    }

    Expr parseUnary(boolean withFilter) {
        Token t = cur();
        Expr node;
        enter();
        try {
            if (t.isOp("-") || t.isOp("+")) {
                next();
                node = new Ast.Unary(t.line(), t.text(), parseUnary(false));
            } else {
                node = parsePrimary(false);
            }
            node = parsePostfix(node);
            if (withFilter) {
                node = parseFilterExpr(node);
            }
            return node;
        } finally {
            depth--;
        }
    }

    Expr parsePrimary(boolean withNamespace) {
        Token t = cur();
        switch (t.kind()) {
            case NAME -> {
                next();
                return switch (t.text()) {
                    case "true", "True" -> new Ast.Const(t.line(), Boolean.TRUE);
                    case "false", "False" -> new Ast.Const(t.line(), Boolean.FALSE);
                    case "none", "None" -> new Ast.Const(t.line(), null);
                    default -> {
                        if (withNamespace && cur().isOp(".")) {
                            next();
                            yield new Ast.NsRef(t.line(), t.text(), expect(Kind.NAME, "name").text());
                        }
                        yield new Ast.Name(t.line(), t.text());
                    }
                };
            }
            case STRING -> {
                StringBuilder sb = new StringBuilder();
                while (cur().is(Kind.STRING)) {
                    sb.append((String) next().value());
                }
                return new Ast.Const(t.line(), sb.toString());
            }
            case INTEGER, FLOAT -> {
                next();
                return new Ast.Const(t.line(), t.value());
            }
            case OP -> {
                if (t.isOp("(")) {
                    next();
                    Expr e = parseTuple(true, null, true);
                    expectOp(")");
                    return e;
                }
                if (t.isOp("[")) {
                    return parseList();
                }
                if (t.isOp("{")) {
                    return parseDict();
                }
            }
            default -> { }
        }
        if (t.is(Kind.EOF)) {
            throw failEof(null);
        }
        throw fail("unexpected '" + t.describe() + "'", t);
    }

    Expr parseList() {
        int line = expectOp("[").line();
        List<Expr> items = new ArrayList<>();
        while (!cur().isOp("]")) {
            if (!items.isEmpty()) {
                expectOp(",");
            }
            if (cur().isOp("]")) {
                break;
            }
            items.add(parseExpression(true));
        }
        expectOp("]");
        return new Ast.ListExpr(line, items);
    }

    Expr parseDict() {
        int line = expectOp("{").line();
        List<Expr> keys = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        while (!cur().isOp("}")) {
            if (!keys.isEmpty()) {
                expectOp(",");
            }
            if (cur().isOp("}")) {
                break;
            }
            keys.add(parseExpression(true));
            expectOp(":");
            values.add(parseExpression(true));
        }
        expectOp("}");
        return new Ast.DictExpr(line, keys, values);
    }

    Expr parsePostfix(Expr node) {
        while (true) {
            Token t = cur();
            if (t.isOp(".") || t.isOp("[")) {
                node = parseSubscript(node);
            } else if (t.isOp("(")) {
                node = new Ast.Call(t.line(), node, parseCallArgs());
            } else {
                return node;
            }
        }
    }

    Expr parseFilterExpr(Expr node) {
        while (true) {
            Token t = cur();
            if (t.isOp("|")) {
                node = parseFilter(node, false);
            } else if (t.isName("is")) {
                node = parseTest(node);
            } else if (t.isOp("(")) {
                node = new Ast.Call(t.line(), node, parseCallArgs());
            } else {
                return node;
            }
        }
    }

    Expr parseSubscript(Expr node) {
        Token t = next();
        if (t.isOp(".")) {
            Token attr = next();
            if (attr.is(Kind.NAME)) {
                return new Ast.GetAttr(t.line(), node, attr.text());
            }
            if (!attr.is(Kind.INTEGER)) {
                throw fail("expected name or number", attr);
            }
            return new Ast.GetItem(t.line(), node, new Ast.Const(attr.line(), attr.value()));
        }
        List<Expr> args = new ArrayList<>();
        while (!cur().isOp("]")) {
            if (!args.isEmpty()) {
                expectOp(",");
            }
            args.add(parseSubscribed());
        }
        expectOp("]");
        Expr key = args.size() == 1 ? args.get(0) : new Ast.TupleExpr(t.line(), args);
        return new Ast.GetItem(t.line(), node, key);
    }

    Expr parseSubscribed() {
        int line = cur().line();
        Expr start = null;
        if (!skipOp(":")) {
            Expr e = parseExpression(true);
            if (!skipOp(":")) {
                return e;
            }
            start = e;
        }
        Expr stop = null;
        if (!cur().isOp(":") && !cur().isOp("]") && !cur().isOp(",")) {
            stop = parseExpression(true);
        }
        Expr step = null;
        if (skipOp(":")) {
            if (!cur().isOp("]") && !cur().isOp(",")) {
                step = parseExpression(true);
            }
        }
        return new Ast.Slice(line, start, stop, step);
    }

    Args parseCallArgs() {
        Token open = expectOp("(");
        List<Expr> positional = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        Expr star = null;
        Expr starStar = null;
        boolean requireComma = false;
        while (!cur().isOp(")")) {
            if (requireComma) {
                expectOp(",");
                if (cur().isOp(")")) {
                    break;
                }
            }
            if (skipOp("*")) {
                ensure(star == null && starStar == null, open);
                star = parseExpression(true);
            } else if (skipOp("**")) {
                ensure(starStar == null, open);
                starStar = parseExpression(true);
            } else if (cur().is(Kind.NAME) && peek().isOp("=")) {
                ensure(starStar == null, open);
                names.add(next().text());
                next();
                values.add(parseExpression(true));
            } else {
                ensure(star == null && starStar == null && names.isEmpty(), open);
                positional.add(parseExpression(true));
            }
            requireComma = true;
        }
        expectOp(")");
        return new Args(positional, names, values, star, starStar);
    }

    void ensure(boolean ok, Token at) {
        if (!ok) {
            throw fail("invalid syntax for function call expression", at);
        }
    }

    Expr parseFilter(Expr node, boolean startInline) {
        while (cur().isOp("|") || startInline) {
            if (!startInline) {
                next();
            }
            Token name = expect(Kind.NAME, "name");
            String fullName = dottedName(name.text());
            Args args = cur().isOp("(") ? parseCallArgs() : Args.NONE;
            if (!soft && !Filters.exists(fullName)) {
                throw fail("No filter named '" + fullName + "'.", name);
            }
            node = new Ast.FilterExpr(name.line(), node, fullName, args);
            startInline = false;
        }
        return node;
    }

    String dottedName(String first) {
        StringBuilder sb = new StringBuilder(first);
        while (skipOp(".")) {
            sb.append('.').append(expect(Kind.NAME, "name").text());
        }
        return sb.toString();
    }

    Expr parseTest(Expr node) {
        Token is = next();
        boolean negated = skipName("not");
        Token name = expect(Kind.NAME, "name");
        String fullName = dottedName(name.text());
        Args args;
        Token t = cur();
        if (t.isOp("(")) {
            args = parseCallArgs();
        } else if ((t.is(Kind.NAME) || t.is(Kind.STRING) || t.is(Kind.INTEGER) || t.is(Kind.FLOAT)
                || (t.is(Kind.OP) && TEST_ARG_START.contains(t.text())))
                && !t.isName("else") && !t.isName("or") && !t.isName("and")) {
            if (t.isName("is")) {
                throw fail("You cannot chain multiple tests with is", t);
            }
            Expr arg = parsePostfix(parsePrimary(false));
            args = new Args(List.of(arg), List.of(), List.of(), null, null);
        } else {
            args = Args.NONE;
        }
        if (!soft && !JinjaTests.exists(fullName)) {
            throw fail("No test named '" + fullName + "'.", name);
        }
        Expr test = new Ast.TestExpr(is.line(), node, fullName, args);
        return negated ? new Ast.Unary(is.line(), "not", test) : test;
    }
}
