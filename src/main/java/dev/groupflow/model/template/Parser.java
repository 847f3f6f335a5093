package dev.groupflow.model.template;

import dev.groupflow.model.template.Ast.Args;
import dev.groupflow.model.template.Ast.Expr;
import dev.groupflow.model.template.Ast.Node;
import dev.groupflow.model.template.Token.Kind;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;

/**
 * Recursive-descent parser with Jinja2's grammar and operator precedence (including its quirks:
 * {@code **} is left-associative, filters and tests bind tighter than arithmetic, a missing
 * {@code else} in an inline if yields undefined). Like Jinja2's compiler it rejects unknown filters
 * and tests at compile time unless they sit inside an {@code if} or inline-if.
 */
final class Parser {
  private static final Set<String> COMPARE_OPS = Set.of("==", "!=", "<", "<=", ">", ">=");
  private static final Set<String> TEST_ARG_START = Set.of("(", "[", "{");

  private final List<Token> tokens;
  private int pos;
  private final Deque<String> tagStack = new ArrayDeque<>();
  private final Deque<List<String>> endTokenStack = new ArrayDeque<>();
  private int loopDepth;
  private boolean soft;
  private int depth;

  private Parser(List<Token> tokens) {
    this.tokens = tokens;
  }

  static List<Node> parse(String source) {
    Parser p = new Parser(Lexer.tokenize(source));
    List<Node> body = p.subparse(null);
    if (!p.cur().is(Kind.EOF)) {
      throw p.fail("unexpected " + p.cur().describe(), p.cur());
    }
    return body;
  }

  // ------------------------------------------------------------------ token helpers

  private Token cur() {
    return tokens.get(pos);
  }

  private Token peek() {
    return tokens.get(Math.min(pos + 1, tokens.size() - 1));
  }

  private Token next() {
    Token t = tokens.get(pos);
    if (pos < tokens.size() - 1) {
      pos++;
    }
    return t;
  }

  private TemplateSyntaxException fail(String msg, Token at) {
    return new TemplateSyntaxException(msg, at.line(), at.column());
  }

  private boolean skipOp(String op) {
    if (cur().isOp(op)) {
      next();
      return true;
    }
    return false;
  }

  private boolean skipName(String name) {
    if (cur().isName(name)) {
      next();
      return true;
    }
    return false;
  }

  private Token expectOp(String op) {
    if (!cur().isOp(op)) {
      throw unexpected("'" + op + "'");
    }
    return next();
  }

  private Token expect(Kind kind, String what) {
    if (!cur().is(kind)) {
      throw unexpected(what);
    }
    return next();
  }

  private Token expectName(String name) {
    if (!cur().isName(name)) {
      throw unexpected("'" + name + "'");
    }
    return next();
  }

  private TemplateSyntaxException unexpected(String expected) {
    Token t = cur();
    if (t.is(Kind.EOF)) {
      return fail("unexpected end of template, expected " + expected + ".", t);
    }
    return fail("expected token " + expected + ", got '" + t.describe() + "'", t);
  }

  private void enter() {
    if (++depth > Interpreter.MAX_NESTING) {
      throw fail("template nested too deeply (more than " + Interpreter.MAX_NESTING + " levels)", cur());
    }
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

  private TemplateSyntaxException failEof(List<String> extra) {
    List<List<String>> stack = new ArrayList<>(endTokenStack);
    if (extra != null) {
      stack.add(0, extra);
    }
    return failUnknownTag(null, stack, cur());
  }

  private TemplateSyntaxException failUnknownTag(String name, List<List<String>> stack, Token at) {
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
  private <T> T inFrame(java.util.function.Supplier<T> body) {
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

  private Expr parseAssignTarget(List<String> extraEnd, boolean withNamespace) {
    Token start = cur();
    Expr target = parseTuple(true, extraEnd, false, true, withNamespace);
    checkAssignable(target, start);
    return target;
  }

  private void checkAssignable(Expr target, Token at) {
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

  private Expr parseTuple(boolean withCondexpr, List<String> extraEnd, boolean explicitParens) {
    return parseTuple(withCondexpr, extraEnd, explicitParens, false, false);
  }

  private Expr parseTuple(boolean withCondexpr, List<String> extraEnd, boolean explicitParens,
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

  private boolean isTupleEnd(List<String> extraEnd) {
    Token t = cur();
    if (t.is(Kind.VAR_END) || t.is(Kind.BLOCK_END) || t.isOp(")")) {
      return true;
    }
    return extraEnd != null && t.is(Kind.NAME) && extraEnd.contains(t.text());
  }

  private Expr parseExpression(boolean withCondexpr) {
    enter();
    try {
      return withCondexpr ? parseCondexpr() : parseOr();
    } finally {
      depth--;
    }
  }

  private Expr parseCondexpr() {
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

  private Expr parseOr() {
    int line = cur().line();
    Expr left = parseAnd();
    while (skipName("or")) {
      left = new Ast.Logical(line, false, left, parseAnd());
    }
    return left;
  }

  private Expr parseAnd() {
    int line = cur().line();
    Expr left = parseNot();
    while (skipName("and")) {
      left = new Ast.Logical(line, true, left, parseNot());
    }
    return left;
  }

  private Expr parseNot() {
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

  private Expr parseCompare() {
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

  private Expr parseMath1() {
    int line = cur().line();
    Expr left = parseConcat();
    while (cur().isOp("+") || cur().isOp("-")) {
      String op = next().text();
      left = new Ast.Binary(line, op, left, parseConcat());
    }
    return left;
  }

  private Expr parseConcat() {
    int line = cur().line();
    List<Expr> args = new ArrayList<>();
    args.add(parseMath2());
    while (skipOp("~")) {
      args.add(parseMath2());
    }
    return args.size() == 1 ? args.get(0) : new Ast.Concat(line, args);
  }

  private Expr parseMath2() {
    int line = cur().line();
    Expr left = parsePow();
    while (cur().isOp("*") || cur().isOp("/") || cur().isOp("//") || cur().isOp("%")) {
      String op = next().text();
      left = new Ast.Binary(line, op, left, parsePow());
    }
    return left;
  }

  private Expr parsePow() {
    int line = cur().line();
    Expr left = parseUnary(true);
    while (skipOp("**")) {
      left = new Ast.Binary(line, "**", left, parseUnary(true));
    }
    return left;
  }

  private Expr parseUnary(boolean withFilter) {
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

  private Expr parsePrimary(boolean withNamespace) {
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

  private Expr parseList() {
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

  private Expr parseDict() {
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

  private Expr parsePostfix(Expr node) {
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

  private Expr parseFilterExpr(Expr node) {
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

  private Expr parseSubscript(Expr node) {
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

  private Expr parseSubscribed() {
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

  private Args parseCallArgs() {
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

  private void ensure(boolean ok, Token at) {
    if (!ok) {
      throw fail("invalid syntax for function call expression", at);
    }
  }

  private Expr parseFilter(Expr node, boolean startInline) {
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

  private String dottedName(String first) {
    StringBuilder sb = new StringBuilder(first);
    while (skipOp(".")) {
      sb.append('.').append(expect(Kind.NAME, "name").text());
    }
    return sb.toString();
  }

  private Expr parseTest(Expr node) {
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
    if (!soft && !Tests.exists(fullName)) {
      throw fail("No test named '" + fullName + "'.", name);
    }
    Expr test = new Ast.TestExpr(is.line(), node, fullName, args);
    return negated ? new Ast.Unary(is.line(), "not", test) : test;
  }

  /** Finds which of {@code varargs}, {@code kwargs}, {@code caller} a macro body mentions. */
  private static final class NameScan {
    final java.util.Set<String> found = new java.util.HashSet<>();

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
