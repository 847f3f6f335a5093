package dev.groupflow.jinja;

import dev.groupflow.jinja.Ast.Node;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A compiled Jinja2 template, rendered as Hugging Face renders chat templates: Python Jinja2's
 * {@code ImmutableSandboxedEnvironment} with {@code trim_blocks}, {@code lstrip_blocks}, the
 * {@code loopcontrols} extension, default {@code Undefined}, Hugging Face's {@code tojson}, {@code
 * raise_exception} and {@code strftime_now}. Compile once and render many times; a compiled
 * template is immutable and safe to render from several threads at once.
 */
public final class Template {
    private final String source;
    private final List<Node> body;

    private Template(String source, List<Node> body) {
        this.source = source;
        this.body = body;
    }

    /**
     * Parses a template.
     *
     * @throws TemplateSyntaxException with the line and column of the first error
     */
    public static Template compile(String source) {
        try {
            return new Template(source, Parser.parse(source));
        } catch (StackOverflowError e) {
            throw new TemplateSyntaxException("template nested too deeply to parse", 0, 0);
        }
    }

    /** The template source as given. */
    public String source() {
        return source;
    }

    /** Renders with the system clock for {@code strftime_now}. */
    public String render(Map<String, ?> variables) {
        return render(variables, Clock.systemDefaultZone());
    }

    /**
     * Renders the template. Variables are deep-converted with {@link TemplateValues#fromJava}.
     *
     * @param clock the clock {@code strftime_now} reads (local date-time in the clock's zone)
     * @throws TemplateException on any runtime error, including {@link TemplateRaisedException}
     */
    public String render(Map<String, ?> variables, Clock clock) {
        Map<String, Object> vars = new LinkedHashMap<>();
        variables.forEach((k, v) -> vars.put(k, TemplateValues.fromJava(v)));
        return Interpreter.render(body, vars, clock);
    }
}
