/**
 * A pure-Java renderer for Hugging Face chat templates that produces byte-identical output to
 * {@code tokenizer.apply_chat_template(..., tokenize=False)}.
 *
 * <p>Entry points: {@link dev.groupflow.jinja.ChatTemplate} (conversation in, prompt
 * out; loads {@code tokenizer_config.json}), {@link dev.groupflow.jinja.Template} (any
 * template with a variable map), {@link dev.groupflow.jinja.TemplateValues} (Jackson and
 * Java values to template values) and the {@link dev.groupflow.jinja.TemplateException}
 * family.
 *
 * <p>Semantics are those of Python Jinja2 3.1 as Hugging Face configures it: {@code
 * ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)} with the {@code
 * loopcontrols} extension, the {@code generation} tag, default {@code Undefined}, no autoescape,
 * {@code keep_trailing_newline=False}, and HF's {@code tojson}, {@code raise_exception} and {@code
 * strftime_now}. Values follow CPython: {@code str()}/{@code repr()} formatting (floats as {@code
 * 1.0}, {@code 1e-05}), code-point string indexing, Python string/dict/list methods, and the
 * sandbox's refusal of mutating methods such as {@code list.append}.
 *
 * <p>Not supported: template inheritance and loading ({@code extends}, {@code block}, {@code
 * include}, {@code import}), {@code autoescape} blocks, the {@code do} extension (absent in HF
 * too), async, line statements, and the rarely used filters {@code pprint}, {@code urlize}, {@code
 * urlencode}, {@code wordwrap}, {@code striptags}, {@code xmlattr}, {@code filesizeformat},
 * {@code random}. Integers are 64-bit: results beyond that raise an overflow error instead of
 * growing as Python's do. {@code lipsum} has Jinja2's algorithm and words but draws them from a
 * random source seeded per render, so its text differs from Python's (which is unseeded) and is
 * the same every time a template is rendered.
 *
 * <p>Python's {@code None} is Java {@code null}, a value like any other; "absent" (a variable,
 * attribute or item that does not exist) is {@code Undefined}, never {@code null}.
 */
package dev.groupflow.jinja;
