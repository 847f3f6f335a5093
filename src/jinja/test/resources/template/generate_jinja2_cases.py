#!/usr/bin/env python3
"""Produces jinja2_cases.json: expected renderings from the real Python Jinja2.

How the expectations were produced (tests never run Python; they only read the JSON):
  python3 src/test/resources/template/generate_jinja2_cases.py
with Jinja2 3.1.6 on CPython 3.11 (an older Jinja2 differs: Debian bookworm's python3-jinja2
3.1.2 raises OverflowError for 'inf'|int where 3.1.6 gives 0). The environment mirrors Hugging Face transformers'
chat-template compiler: ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
extensions=[AssistantTracker, loopcontrols]) with HF's tojson override (json.dumps, no HTML
escaping) and the raise_exception / strftime_now globals. strftime_now reads a frozen clock,
2024-07-26 10:30:05, which the Java test injects too.

Each case: name, template (inline) or template_file (under templates/), vars, and either
"expected" (the exact output) or "error" {kind: syntax|raised|runtime, type, message, line}.
"""
import datetime
import json
import os
import sys

import jinja2
from jinja2 import nodes
from jinja2.constants import LOREM_IPSUM_WORDS
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
FROZEN_NOW = datetime.datetime(2024, 7, 26, 10, 30, 5)


class AssistantTracker(Extension):
    """HF's {% generation %} tag: renders its body unchanged (no mask tracking needed here)."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_generation_support"), [], [], body).set_lineno(lineno)

    def _generation_support(self, caller):
        return caller()


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(fmt):
    return FROZEN_NOW.strftime(fmt)


def make_env():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[AssistantTracker, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


CONV_BASIC = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Hi there"},
    {"role": "assistant", "content": "Hello!"},
    {"role": "user", "content": "  What's 2+2?  "},
]
CONV_NO_SYSTEM = [
    {"role": "user", "content": "Hi"},
    {"role": "assistant", "content": "Hello."},
    {"role": "user", "content": "Bye"},
]
CONV_BAD_ORDER = [
    {"role": "user", "content": "Hi"},
    {"role": "user", "content": "Again"},
]
TOOLS = [
    {"type": "function", "function": {
        "name": "get_weather", "description": "Get the weather for a city, e.g. \"Paris\".",
        "parameters": {"type": "object", "properties": {
            "city": {"type": "string", "description": "City name"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city"]}}},
    {"type": "function", "function": {
        "name": "add", "description": "Add numbers: 1.5 + 2 → 3.5",
        "parameters": {"type": "object", "properties": {
            "a": {"type": "number"}, "b": {"type": "number", "default": 1e-05}},
            "required": ["a", "b"]}}},
]
CONV_TOOL_CALL = [
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": "", "tool_calls": [
        {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}}]},
    {"role": "tool", "content": "{\"temp\": 21.5}"},
    {"role": "assistant", "content": "It is 21.5 °C in Paris."},
]
CONV_UNICODE = [
    {"role": "user", "content": "Übersetze: 😀 → «emoji» and \"quotes\" \\ back\tslash\n"},
]

CASES = []


def case(name, template, vars=None, **extra):
    CASES.append(dict(name=name, template=template, vars=vars or {}, **extra))


def file_case(name, template_file, vars):
    CASES.append(dict(name=name, template_file=template_file, vars=vars))


# ---------------------------------------------------------------- whitespace control
case("plain text passes through byte-exact", "a  b\t\n c\r\n d \u00e9 \U0001F600")
case("single trailing newline is dropped", "hello\n")
case("only one of two trailing newlines is dropped", "hello\n\n")
case("carriage returns are normalized to newlines", "a\r\nb\rc")
case("trim_blocks removes the newline after a block tag", "{% if true %}\nyes\n{% endif %}\nafter")
case("trim_blocks removes only one newline", "{% if true %}\n\nyes{% endif %}")
case("trim_blocks does not apply after a print tag", "{{ 'x' }}\nnext")
case("lstrip_blocks strips indentation before a block tag", "  {% if true %}\n  yes\n  {% endif %}\n")
case("lstrip_blocks strips tabs and spaces", "\t \t{% if true %}x{% endif %}")
case("lstrip_blocks does not strip before a print tag", "  {{ 'v' }}\n")
case("lstrip_blocks keeps text before the tag on the same line", "a  {% if true %}b{% endif %}")
case("lstrip_blocks applies to comments", "  {# comment #}\nx")
case("plus after percent disables lstrip", "  {%+ if true %}x{% endif %}")
case("plus before percent disables trim_blocks", "{% if true +%}\nx{% endif %}")
case("minus strips all whitespace before a block", "a \n\n  {%- if true %}b{% endif %}")
case("minus strips all whitespace after a block", "{% if true -%}  \n\n  b{% endif %}")
case("print tag minus strips both sides", "a  \n {{- 'b' -}} \n  c")
case("comment minus strips both sides", "a  {#- note -#}  b")
case("comment with trim_blocks eats the newline", "{# note #}\nb")
case("indented block tags in a loop", "<ul>\n  {% for i in [1, 2] %}\n    <li>{{ i }}</li>\n  {% endfor %}\n</ul>\n")
case("lstrip after a trimmed newline at line start", "{% if true %}\n    {% if true %}x{% endif %}\n{% endif %}")
case("whitespace only line between blocks", "{% set a = 1 %}\n   \n{% set b = 2 %}\n{{ a + b }}")
case("raw block keeps template syntax", "{% raw %}{{ not evaluated }} {% if %}{% endraw %}")
case("raw begin tag does not trim the newline", "{% raw %}\nx\n{% endraw %}\ny")
case("raw block with lstrip before endraw", "{% raw %}\n  a\n  {% endraw %}")
case("raw with minus controls", "a  {%- raw -%}  b  {%- endraw -%}  c")
case("variable tag spanning lines", "{{\n  'a'\n  ~ 'b'\n}}")
case("dict literal closing braces inside print", "{{ {'a': {'b': 1}} }}")
case("unicode whitespace is stripped by minus", "a\u00a0\u3000{{- 'b' }}")

# ---------------------------------------------------------------- literals and printing
case("string escapes follow python", r"""{{ 'a\tb\nc\\d\'e\"f\x41\u00e9\U0001F600\101\q' }}""")
case("adjacent string literals concatenate", "{{ 'a' \"b\" 'c' }}")
case("integers floats and underscores", "{{ 1_000 }} {{ 0x1F }} {{ 0o17 }} {{ 0b101 }} {{ 1.5e3 }} {{ 2e-7 }} {{ 1_0.2_5 }}")
case("booleans and none print python style", "{{ true }} {{ False }} {{ none }} {{ None }}")
case("floats print like python repr", "{{ 1.0 }} {{ 0.1 + 0.2 }} {{ 1e16 }} {{ 1e15 }} {{ 0.0001 }} {{ 0.00001 }} {{ -0.0 }} {{ 1/3 }} {{ 2.5e-10 }} {{ 123456789.123 }}")
case("lists and dicts print as python repr", "{{ [1, 'a', none, true, 1.5, [2]] }} {{ {'k': 'v', 'n': none} }} {{ (1,) }} {{ (1, 'b') }} {{ () }}")
case("string repr picks quotes like python", "{{ [\"it's\", 'say \"hi\"', 'both \\' \"', 'tab\\t', 'nl\\n', '\\x00'] }}")
case("print tuple without parentheses", "{{ 1, 2 }}")
case("dict with duplicate and numeric keys", "{{ {'a': 1, 'a': 2, 1: 'x', 1.0: 'y', true: 'z'} }}")
case("undefined prints empty", "[{{ nothing }}]")
case("none from a variable prints None", "{{ x }}", {"x": None})
case("nested data from variables", "{{ data }}", {"data": {"a": [1, 2.5, "s", None, True], "b": {}}})
case("range and dict_items print python style", "{{ range(3) }} {{ range(1, 10, 2) }} {{ {'a': 1}.items() }} {{ {'a': 1}.keys() }}")

# ---------------------------------------------------------------- operators
case("arithmetic follows python", "{{ 7 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ 4 / 2 }}")
case("power is left associative in jinja", "{{ 2 ** 3 ** 2 }}")
case("unary minus and filters", "{{ -3|abs }} {{ -(3) }} {{ +4 }} {{ - 2 ** 2 }}")
case("string and list concatenation and repetition", "{{ 'ab' + 'cd' }} {{ 'ab' * 3 }} {{ 3 * 'x' }} {{ [1] + [2, 3] }} {{ [0] * 3 }} {{ 'x' * -1 }}|")
case("tilde converts to string", "{{ 1 ~ 'a' ~ none ~ true ~ 1.5 ~ [1] ~ missing }}")
case("boolean arithmetic", "{{ true + 1 }} {{ true * 3 }} {{ false - 1 }} {{ true / 2 }}")
case("comparisons and chaining", "{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 1 == 1.0 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 != 2 }} {{ true == 1 }} {{ none == none }}")
case("in and not in", "{{ 'b' in 'abc' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 3 not in [1] }} {{ 'z' not in 'abc' }} {{ 1 in [true] }}")
case("and or return operands", "{{ 0 or 'x' }} {{ 'a' and 'b' }} {{ '' and 'b' }}|{{ none or none }} {{ not 0 }} {{ not 'a' }}")
case("conditional expression", "{{ 'yes' if 1 else 'no' }} {{ 'yes' if 0 else 'no' }} [{{ 'yes' if 0 }}] {{ 'a' if false else 'b' if true else 'c' }}")
case("operator precedence with filters and tests", "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ [1, 2]|length - 1 }} {{ not none is none }} {{ 2 * 3 ~ 4 }} {{ (1 + 1) ~ (1 + 1) }}")
case("concat binds tighter than plus", "{{ 1 + 1 ~ 1 + 1 }}")
case("equality across types", "{{ [1] == [1] }} {{ (1,) == [1] }} {{ {'a': 1} == {'a': 1.0} }} {{ 'a' == none }} {{ x == y }}")
case("undefined equals undefined", "{{ x == y }} {{ x == none }} {{ x != 1 }}")

# ---------------------------------------------------------------- attribute and item access
MSG = {"message": {"role": "user", "content": "hello", "items": "shadowed", "nested": {"k": [10, 20, 30]}}}
case("attribute and item access on dicts", "{{ message.role }} {{ message['content'] }} {{ message.nested.k[1] }} {{ message['nested']['k'][-1] }}", MSG)
case("dot access prefers dict methods", "{{ message['items'] }} {{ message.items() | list | length }}", MSG)
case("missing keys are undefined", "[{{ message.nope }}] [{{ message['nope'] }}] {{ message.nope is defined }} {{ message.role is defined }}", MSG)
case("integer after dot is an index", "{{ message.nested.k.0 }} {{ [[1, 2]].0.1 }}", MSG)
case("out of range index is undefined", "[{{ [1][5] }}] [{{ 'ab'[9] }}] [{{ none.x }}] [{{ 5.x }}]")
case("slicing lists and strings", "{{ [1, 2, 3, 4][1:] }} {{ [1, 2, 3, 4][:-1] }} {{ [1, 2, 3, 4][::-1] }} {{ [1, 2, 3, 4][::2] }} {{ 'hello'[1:3] }} {{ 'hello'[::-1] }} {{ 'hello'[-3:] }} {{ [1, 2, 3][5:] }} {{ [1, 2, 3][-10:2] }} {{ 'abc'[2:0:-1] }}")
case("slicing with unicode counts code points", "{{ s[1:3] }} {{ s[::-1] }} {{ s|length }} {{ s[1] }}", {"s": "a😀bc"})
case("negative indexes", "{{ [1, 2, 3][-1] }} {{ 'abc'[-2] }} {{ (4, 5)[-2] }}")
case("getattr on undefined raises", "{{ missing.attr }}")
case("getitem on undefined raises", "{{ missing['x'] }}")
case("nested undefined attribute raises", "{{ message.nope.deeper }}", MSG)
case("list append is refused by the sandbox", "{% set l = [1] %}{{ l.append(2) }}")
case("dict update is refused by the sandbox", "{% set d = {} %}{{ d.update({'a': 1}) }}")
case("dunder attributes are refused", "{{ ''.__class__ }}")

# ---------------------------------------------------------------- statements
case("if elif else", "{% for x in [1, 2, 3] %}{% if x == 1 %}one{% elif x == 2 %}two{% else %}many{% endif %} {% endfor %}")
case("for loop variables", "{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }} {% endfor %}")
case("loop previtem and nextitem", "{% for x in [1, 2, 3] %}[{{ loop.previtem }}|{{ loop.nextitem }}|{{ loop.previtem is defined }}]{% endfor %}")
case("loop cycle and changed", "{% for x in [1, 1, 2, 3, 3] %}{{ loop.cycle('a', 'b', 'c') }}{{ loop.changed(x) }} {% endfor %}")
case("loop depth and nested loops", "{% for a in [1, 2] %}{% set outer = loop %}{% for b in 'xy' %}{{ outer.index }}{{ loop.index }}{{ loop.depth }} {% endfor %}{% endfor %}")
case("for else runs when empty", "{% for x in [] %}{{ x }}{% else %}empty{% endfor %} {% for x in [1] %}{{ x }}{% else %}empty{% endfor %}")
case("for with filter condition", "{% for x in range(10) if x is odd %}{{ x }}{{ '' if loop.last else ',' }}{% endfor %} len={% for x in range(10) if x > 6 %}{{ loop.length }}{% endfor %}")
case("tuple unpacking over items", "{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}{% for a, (b, c) in [(1, (2, 3))] %}{{ a }}{{ b }}{{ c }}{% endfor %}")
case("loop over dict iterates keys", "{% for k in {'x': 1, 'y': 2} %}{{ k }}{% endfor %}")
case("loop over undefined is empty", "{% for x in missing %}{{ x }}{% else %}none{% endfor %}")
case("loop over none is an error", "{% for x in none %}{% endfor %}")
case("break and continue", "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}")
case("break inside nested if and loop", "{% for a in [1, 2, 3] %}{% for b in [1, 2, 3] %}{% if b > a %}{% break %}{% endif %}{{ a }}{{ b }} {% endfor %}{% endfor %}")
case("break outside loop is a syntax error", "line1\n{% break %}")
case("set inside loop does not leak", "{% set x = 0 %}{% for i in range(3) %}{% set x = x + i %}{{ x }},{% endfor %}{{ x }}")
case("set inside if leaks", "{% if true %}{% set y = 'set' %}{% endif %}{{ y }}")
case("namespace carries state out of loops", "{% set ns = namespace(total=0, seen=[]) %}{% for i in range(4) %}{% set ns.total = ns.total + i %}{% endfor %}{{ ns.total }} {{ ns.seen }}")
case("namespace from dict and kwargs", "{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}{{ ns['a'] }}[{{ ns.c }}]")
case("assigning attribute on non namespace fails", "{% set d = {} %}{% set d.x = 1 %}")
case("set with tuple unpacking", "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c, d = 'xy' %}{{ d }}{{ c }}")
case("unpacking wrong count fails", "{% set a, b = [1, 2, 3] %}")
case("block set captures output", "{% set body %}\n  Hello {{ name }}!\n{% endset %}[{{ body }}]", {"name": "Ann"})
case("block set with filter", "{% set shout | upper | trim %}  quiet words  {% endset %}[{{ shout }}]")
case("top level set overrides context variable", "{{ x }}{% set x = 2 %}{{ x }}", {"x": 1})
case("with block scopes variables", "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}[{{ a }}]")
case("filter block", "{% filter upper %}hello {{ 'world' }}{% endfilter %}")
case("macro with defaults and keywords", "{% macro greet(name, greeting='Hello', punct='!') %}{{ greeting }}, {{ name }}{{ punct }}{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', punct='?') }} {{ greet(greeting='Hi', name='Cy') }}")
case("macro varargs and kwargs", "{% macro m(a) %}{{ a }}|{{ varargs }}|{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, x=4) }}")
case("macro missing argument is undefined", "{% macro m(a, b) %}[{{ a }}][{{ b }}]{{ b is defined }}{% endmacro %}{{ m(1) }}")
case("macro too many arguments fails", "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}")
case("macro unknown keyword fails", "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, b=2) }}")
case("macro sees globals set later at call time", "{% macro m() %}{{ g }}{% endmacro %}{% set g = 1 %}{{ m() }}{% set g = 2 %}{{ m() }}")
case("macro recursion", "{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1)|int }}{% endif %}{% endmacro %}{{ fact(6) }}")
case("macro output with whitespace", "{% macro item(x) %}\n  <{{ x }}>\n{% endmacro %}\n{% for i in [1, 2] %}\n{{ item(i) }}\n{% endfor %}")
case("call block with caller", "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}bold {{ 1 + 1 }}{% endcall %}")
case("call block with caller arguments", "{% macro each(items) %}{% for i in items %}{{ caller(i, loop.index) }}{% endfor %}{% endmacro %}{% call(x, n) each(['a', 'b']) %}{{ n }}:{{ x }} {% endcall %}")
case("recursive loop", "{% for item in tree recursive %}{{ item.name }}{% if item.children %}({{ loop(item.children) }}){% endif %}{{ loop.depth }};{% endfor %}",
     {"tree": [{"name": "a", "children": [{"name": "b", "children": []}, {"name": "c"}]}, {"name": "d"}]})
case("generation block is transparent", "{% for m in ['a', 'b'] %}{% generation %}<{{ m }}>{% endgeneration %}{% endfor %}")
file_case("generation block template style", "generation_block_style.jinja", {"messages": CONV_NO_SYSTEM, "add_generation_prompt": True})

# ---------------------------------------------------------------- tests
case("is tests on types", "{{ 1 is number }} {{ 1.5 is float }} {{ 1 is integer }} {{ true is integer }} {{ true is number }} {{ true is boolean }} {{ 'a' is string }} {{ {} is mapping }} {{ [] is sequence }} {{ 'a' is iterable }} {{ 1 is iterable }} {{ none is none }} {{ missing is undefined }} {{ missing is defined }}")
case("is true false and sameas", "{{ true is true }} {{ 1 is true }} {{ false is false }} {{ 0 is false }} {{ none is sameas none }} {{ 1 is sameas 1 }}")
case("is even odd divisibleby", "{{ 4 is even }} {{ 3 is odd }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(4) }} {{ 3.0 is odd }}")
case("is comparison tests", "{{ 1 is eq 1 }} {{ 1 is equalto 2 }} {{ 1 is ne 2 }} {{ 1 is lt 2 }} {{ 2 is gt 1 }} {{ 2 is ge 2 }} {{ 2 is le 1 }} {{ 'a' is in 'abc' }} {{ 2 is lessthan 3 }} {{ 3 is greaterthan 4 }}")
case("is not and negation", "{{ 1 is not string }} {{ not 1 is string }} {{ none is not none }}")
case("is lower upper callable", "{{ 'abc' is lower }} {{ 'ABC' is upper }} {{ 'aB' is lower }} {{ range is callable }} {{ 'x' is callable }} {{ 'upper' is filter }} {{ 'odd' is test }} {{ 'nope' is filter }}")
case("is escaped", "{{ 'a' is escaped }} {{ ('a'|e) is escaped }}")
case("enable_thinking is false only for false", "{% for v in [false, 0, none, true] %}{{ v is false }}{% endfor %}")
case("unknown test is a syntax error", "{{ 1 is bogus }}")
case("unknown test inside if is a runtime error only when reached", "{% if false %}{{ 1 is bogus }}{% endif %}ok")
case("unknown test reached inside if fails", "{% if true %}{{ 1 is bogus }}{% endif %}")

# ---------------------------------------------------------------- filters
case("length and count", "{{ [1, 2]|length }} {{ 'héllo'|length }} {{ {'a': 1}|count }} {{ missing|length }}")
case("length of none fails", "{{ none|length }}")
case("length of a generator fails", "{{ [1, 2]|select|length }}")
case("case filters", "{{ 'hELLo wORLD'|lower }} {{ 'hello'|upper }} {{ 'hELLO wORLD'|capitalize }} {{ \"hello wORLD it's a-test (x)\"|title }}")
case("trim with and without chars", "[{{ '  a b  '|trim }}] [{{ 'xxaxx'|trim('x') }}] [{{ '\n\t a \u00a0'|trim }}]")
case("string int float", "{{ 1|string ~ 2 }} {{ '42'|int + 1 }} {{ '3.7'|int }} {{ 3.7|int }} {{ 'x'|int }} {{ 'x'|int(-1) }} {{ '0x1A'|int(base=16) }} {{ ' 12 '|int }} {{ '1_000'|int }} {{ '2.5'|float }} {{ 'abc'|float }} {{ 3|float }} {{ true|int }} {{ none|int }} {{ '1e3'|float }} {{ '-inf'|float }}")
case("int of undefined fails", "{{ missing|int }}")
case("join filter", "{{ ['a', 'b', 'c']|join(', ') }} {{ [1, 2]|join }} {{ [{'n': 'x'}, {'n': 'y'}]|join('-', attribute='n') }} {{ 'abc'|join('.') }} {{ [none, true]|join(',') }}")
case("first last list", "{{ [1, 2, 3]|first }} {{ [1, 2, 3]|last }} {{ 'abc'|first }} {{ {'a': 1, 'b': 2}|last }} [{{ []|first }}] {{ 'ab'|list }} {{ {'k': 1}|list }} {{ (1, 2)|list }}")
case("default filter", "{{ missing|default('d') }} {{ none|default('d') }} {{ ''|default('d') }} {{ ''|default('d', true) }} {{ 0|d('z', boolean=true) }} {{ 'v'|d('z') }} [{{ missing|default }}]")
case("replace filter", "{{ 'aaa'|replace('a', 'b') }} {{ 'aaa'|replace('a', 'b', 2) }} {{ 'abc'|replace('', '-') }} {{ 'hello world'|replace('o', '0') }}")
case("items and dictsort", "{% for k, v in {'b': 2, 'a': 1, 'C': 3}|items %}{{ k }}{{ v }}{% endfor %} {{ {'b': 2, 'a': 1, 'C': 3}|dictsort }} {{ {'b': 2, 'a': 1, 'C': 3}|dictsort(true) }} {{ {'b': 2, 'a': 3}|dictsort(by='value', reverse=true) }}")
case("selectattr and rejectattr", "{{ msgs|selectattr('role', 'equalto', 'user')|map(attribute='content')|join(',') }} {{ msgs|rejectattr('role', 'eq', 'user')|list|length }} {{ msgs|selectattr('tool')|list }} {{ msgs|selectattr('role', 'in', ['system', 'tool'])|map(attribute='content')|list }}",
     {"msgs": [{"role": "system", "content": "s"}, {"role": "user", "content": "u1"}, {"role": "assistant", "content": "a"}, {"role": "user", "content": "u2"}]})
case("select and reject with tests", "{{ range(10)|select('odd')|list }} {{ range(10)|reject('divisibleby', 3)|list }} {{ [0, 1, '', 'a', none]|select|list }} {{ [1, none, 2]|reject('none')|list }}")
case("map filter with filter name and attribute default", "{{ ['a', 'b']|map('upper')|list }} {{ [' a ', 'b ']|map('trim')|join }} {{ [{'x': 1}, {}]|map(attribute='x', default=0)|list }} {{ ['1', '2']|map('int')|sum }} {{ [[1, 2], [3]]|map('length')|list }}")
case("generator results are truthy even when empty", "{% if [1, 2]|select('gt', 5) %}truthy{% endif %} {% if [1, 2]|select('gt', 5)|list %}nonempty{% else %}empty{% endif %}")
case("generators are exhausted after one pass", "{% set g = [1, 2, 3]|select %}{{ g|list }}{{ g|list }}")
case("unique sort reverse", "{{ [3, 1, 2, 1, 3]|unique|list }} {{ ['a', 'A', 'b']|unique|list }} {{ ['a', 'A', 'b']|unique(case_sensitive=true)|list }} {{ [3, 1, 2]|sort }} {{ ['b', 'A', 'c']|sort }} {{ ['b', 'A', 'c']|sort(case_sensitive=true) }} {{ [3, 1, 2]|sort(reverse=true) }} {{ [1, 2, 3]|reverse|list }} {{ 'abc'|reverse }}")
case("sort by attribute", "{{ people|sort(attribute='age')|map(attribute='name')|join(',') }} {{ people|sort(attribute='age,name')|map(attribute='name')|join(',') }} {{ people|sort(attribute='name', reverse=true)|map(attribute='name')|join(',') }}",
     {"people": [{"name": "bo", "age": 30}, {"name": "al", "age": 25}, {"name": "cy", "age": 30}, {"name": "Di", "age": 25}]})
case("min max sum abs round", "{{ [3, 1, 2]|min }} {{ [3, 1, 2]|max }} {{ ['b', 'A', 'c']|max }} {{ [1, 2.5]|sum }} {{ [{'v': 2}, {'v': 3}]|sum(attribute='v') }} {{ [1, 2]|sum(start=10) }} {{ -3|abs }} {{ -2.5|abs }} {{ 2.5|round }} {{ 3.5|round }} {{ 2.675|round(2) }} {{ 3|round }} {{ 2.1|round(method='ceil') }} {{ 2.9|round(method='floor') }} {{ 1234|round(-2) }} [{{ []|max }}]")
case("center indent wordcount", "[{{ 'ab'|center(7) }}] [{{ 'abc'|center(8) }}] [{{ 'a\nb\n\nc'|indent }}] [{{ 'a\nb'|indent(2, true) }}] [{{ 'a\n\nb'|indent('> ', blank=true) }}] {{ 'one two, three-four'|wordcount }}")
case("batch and slice", "{{ range(7)|batch(3)|list }} {{ range(5)|batch(2, 'x')|list }} {{ range(7)|slice(3)|list }} {{ range(5)|slice(2, 0)|list }}")
case("groupby filter", "{% for g in people|groupby('age') %}{{ g.grouper }}:{{ g.list|map(attribute='name')|join('/') }} {% endfor %}{% for age, ps in people|groupby('age') %}{{ age }}={{ ps|length }};{% endfor %}",
     {"people": [{"name": "bo", "age": 30}, {"name": "al", "age": 25}, {"name": "cy", "age": 30}]})
case("escape and safe", "{{ '<a href=\"x\">&\\'</a>'|e }} {{ '<b>'|safe }} {{ '<b>'|escape|escape }} {{ ('<b>'|safe) ~ '<i>' }} {{ '<' + ('<'|e) }} {{ ('<'|e) + '<' }} {{ '<b>'|forceescape }}")
case("format filter and percent operator", "{{ '%s-%d-%.2f-%5s-%-4d|%x' | format('a', 3, 2.345, 'b', 7, 255) }} {{ '%(a)s=%(b)r'|format(a=1, b='x') }} {{ 'n=%d' % 5 }} {{ '%s and %s' % ('x', 'y') }} {{ '%05.1f%%' % 3.14159 }}")
case("truncate filter", "{{ 'hello world foo bar'|truncate(9) }} {{ 'hello world foo bar'|truncate(9, true) }} {{ 'hello world foo bar'|truncate(9, leeway=0) }} {{ 'short'|truncate(3, leeway=5) }} {{ 'hello world'|truncate(8, false, '..', 0) }}")
case("attr filter ignores dict items", "[{{ {'a': 1}|attr('a') }}] {{ {'a': 1}|attr('keys') is callable }}")
case("unknown filter is a syntax error", "line one\n{{ 'x'|bogus }}")
case("unknown filter in untaken if branch is fine", "{% if false %}{{ 'x'|bogus }}{% endif %}fine")
case("unknown filter in inline if is fine until used", "{{ 'a' if true else ('x'|bogus) }}")
case("filter called with too many arguments fails", "{{ 'a'|upper(1) }}")

# ---------------------------------------------------------------- tojson (HF override)
case("tojson defaults keep unicode and insertion order", "{{ data|tojson }}", {"data": {"b": 1, "a": [1.5, 1e-05, 1e+20, -0.0, True, None, "é😀\"\\\n\t\u0001/"], "c": {}}})
case("tojson with indent", "{{ data|tojson(indent=2) }}", {"data": {"a": [1, {"b": []}], "c": "x", "d": {}}})
case("tojson with string indent sort_keys and separators", "{{ data|tojson(indent='\t', sort_keys=true) }}|{{ data|tojson(separators=(',', ':')) }}|{{ data|tojson(ensure_ascii=true) }}", {"data": {"z": "ü", "a": [1, 2]}})
case("tojson of scalars and tuples", "{{ 'x'|tojson }} {{ 1|tojson }} {{ 2.50|tojson }} {{ none|tojson }} {{ (1, 2)|tojson }} {{ {1: 'a', true: 'b', none: 'c'}|tojson }} {{ '<script>&'|tojson }}")
case("tojson of undefined fails", "{{ missing|tojson }}")
case("tojson of a tool list", "{% for t in tools %}{{ t|tojson }}\n{% endfor %}", {"tools": TOOLS})

# ---------------------------------------------------------------- string methods
case("startswith endswith with tuples and ranges", "{{ 'hello'.startswith('he') }} {{ 'hello'.endswith(('x', 'lo')) }} {{ 'hello'.startswith('l', 2) }} {{ 'hello'.endswith('l', 0, 4) }} {{ ''.startswith('') }}")
case("split variants", "{{ ' a  b c '.split() }} {{ 'a,b,,c'.split(',') }} {{ 'a,b,c'.split(',', 1) }} {{ '  a b  c  '.split(none, 1) }} {{ 'a b c'.rsplit(' ', 1) }} {{ '  a b  c  '.rsplit(none, 1) }} {{ ''.split() }} {{ ''.split(',') }} {{ 'x</think>y</think>z'.split('</think>')[-1] }}")
case("strip variants", "[{{ '  x  '.strip() }}] [{{ '  x  '.lstrip() }}] [{{ '  x  '.rstrip() }}] [{{ '\n\nx\n'.strip('\n') }}] [{{ 'xyhixy'.strip('xy') }}] [{{ 'abc'.lstrip('ba') }}]")
case("find count replace index", "{{ 'hello'.find('l') }} {{ 'hello'.rfind('l') }} {{ 'hello'.find('z') }} {{ 'hello'.find('l', 3) }} {{ 'hello'.count('l') }} {{ 'aaaa'.count('aa') }} {{ 'abc'.count('') }} {{ 'a-b-c'.replace('-', '+', 1) }} {{ 'hello'.index('e') }}")
case("string index not found fails", "{{ 'hello'.index('z') }}")
case("case methods", "{{ 'hello world'.title() }} {{ \"they're bill's\".title() }} {{ 'hELLO'.capitalize() }} {{ 'AbC'.swapcase() }} {{ 'ABC'.lower() }} {{ 'abc'.upper() }} {{ 'straße'.upper() }}")
case("predicates and padding", "{{ '123'.isdigit() }} {{ 'abc'.isalpha() }} {{ ' '.isspace() }} {{ 'Ab'.isupper() }} {{ 'ab'.islower() }} {{ '7'.zfill(3) }} {{ '-7'.zfill(4) }} [{{ 'a'.ljust(3) }}] [{{ 'a'.rjust(3, '*') }}] [{{ 'a'.center(4, '-') }}]")
case("join partition splitlines", "{{ ', '.join(['a', 'b']) }} {{ ''.join('abc') }} {{ 'a=b=c'.partition('=') }} {{ 'a=b=c'.rpartition('=') }} {{ 'x'.partition('=') }} {{ 'a\nb\r\nc\n'.splitlines() }} {{ 'a\nb'.splitlines(true) }} {{ 'prefix_x'.removeprefix('prefix_') }} {{ 'x.py'.removesuffix('.py') }}")
case("join requires strings", "{{ ','.join([1, 2]) }}")
case("str format method", "{{ '{} and {}'.format('a', 'b') }} {{ '{1}{0}'.format('x', 'y') }} {{ '{name}!'.format(name='Ann') }} {{ '{:>5}|{:<4}|{:^7}'.format('r', 'l', 'c') }} {{ '{:.2f} {:5d} {:05.1f} {:,}'.format(3.14159, 42, 2.5, 1234567) }} {{ '{0[a]} {0[b][1]}'.format({'a': 1, 'b': [5, 6]}) }} {{ '{!r}'.format('q') }} {{ '{{literal}}'.format() }}")
case("unknown string method is undefined and calling it fails", "{{ 'abc'.nosuchmethod() }}")

# ---------------------------------------------------------------- dict and list methods
case("dict methods", "{{ d.get('a') }} {{ d.get('z') }} {{ d.get('z', 'dflt') }} {{ d.keys()|list }} {{ d.values()|list }} {{ d.items()|list }} {{ d.copy() }} {{ d.items()|length }}", {"d": {"a": 1, "b": [2]}})
case("list methods", "{{ [1, 2, 2].count(2) }} {{ ['a', 'b'].index('b') }} {{ [1, 2].copy() }} {{ (1, 2, 1).count(1) }} {{ range(5).index(3) }}")

# ---------------------------------------------------------------- globals
case("range global", "{{ range(3)|list }} {{ range(2, 5)|list }} {{ range(10, 0, -3)|list }} {{ range(0)|list }} {{ range(3)|length }} {{ range(5)[1] }} {{ range(5)[-1] }}")
case("range larger than sandbox limit fails", "{{ range(100001)|length }}")
case("dict global", "{{ dict(a=1, b='x') }} {{ dict({'k': 1}, z=2) }} {{ dict([('p', 1)]) }}")
case("joiner and cycler", "{% set pipe = joiner(' | ') %}{% for x in 'abc' %}{{ pipe() }}{{ x }}{% endfor %} {% set c = cycler('odd', 'even') %}{% for x in range(3) %}{{ c.next() }} {% endfor %}{{ c.current }}")
case("raise_exception message", "ok\n{{ raise_exception('Conversation roles must alternate!') }}")
case("raise_exception inside a macro", "{% macro check(m) %}{% if m.role not in ['user', 'assistant'] %}{{ raise_exception('bad role: ' + m.role) }}{% endif %}{% endmacro %}{% for m in msgs %}{{ check(m) }}{% endfor %}",
     {"msgs": [{"role": "user"}, {"role": "robot"}]})
case("strftime_now formats the frozen clock", "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M:%S') }}|{{ strftime_now('%A, %B %-d, %y %I %p %j') }}|{{ strftime_now('%%') }}")
case("len is not a jinja global", "{{ len([1]) }}")
case("calling an undefined fails", "{{ nope() }}")
case("calling a string fails", "{{ 'x'() }}")

# ---------------------------------------------------------------- errors
case("type errors from operators", "{{ 1 + 'a' }}")
case("undefined in arithmetic fails", "{{ missing + 1 }}")
case("division by zero fails", "{{ 1 / 0 }}")
case("ordering mixed types fails", "{{ 1 < 'a' }}")
case("syntax error reports the line of an unclosed tag", "line1\nline2\n{% if true %}\nbody\n")
case("syntax error for an unknown tag", "a\n{% do x %}")
case("syntax error for unexpected end tag", "{% for x in y %}\n{% endif %}")
case("syntax error in an expression", "ok\n\n{{ 1 + }}")
case("syntax error for unbalanced brackets", "{{ [1, 2 }}")
case("syntax error for unclosed comment", "a {# never closed")
case("syntax error for missing endraw", "{% raw %} abc")
case("syntax error for assigning to a literal", "{% set true = 1 %}")
case("syntax error for a bad character", "{{ 1 $ 2 }}")
case("syntax error for an unclosed print tag", "a\n{{ x")
case("syntax error for an unclosed block tag", "a\n\n{% if x")
case("syntax error for an empty print tag", "{{ }}")
case("syntax error for else after else", "{% if x %}{% else %}\n{% else %}{% endif %}")
case("syntax error for default before positional macro argument", "{% macro m(a=1, b) %}{% endmacro %}")
case("syntax error for positional after keyword argument", "{{ f(a=1, 2) }}")
case("syntax error for an unterminated string", "{{ \"abc }}")
case("syntax error for an extra token", "{{ 'a' is divisibleby 2 2 }}")

# ---------------------------------------------------------------- real-template idioms
case("qwen style reasoning split", "{% set content = m.content %}{% if '</think>' in content %}{% set reasoning = content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') %}{% set content = content.split('</think>')[-1].lstrip('\\n') %}{% endif %}[{{ reasoning }}][{{ content }}]",
     {"m": {"role": "assistant", "content": "<think>\nstep 1\nstep 2\n</think>\n\nAnswer."}})
case("reversed message scan with namespace", "{% set ns = namespace(last=-1) %}{% for m in msgs[::-1] %}{% set i = (msgs|length - 1) - loop.index0 %}{% if ns.last == -1 and m.role == 'user' %}{% set ns.last = i %}{% endif %}{% endfor %}{{ ns.last }}",
     {"msgs": CONV_BASIC})
case("system message extraction", "{% if messages[0]['role'] == 'system' %}{% set sys = messages[0]['content'] %}{% set messages = messages[1:] %}{% endif %}{{ sys }}|{% for m in messages %}{{ m.role }},{% endfor %}",
     {"messages": CONV_BASIC})
case("message content may be a list of parts", "{% for m in messages %}{% if m.content is string %}{{ m.content }}{% else %}{% for p in m.content %}{% if p.type == 'text' %}{{ p.text }}{% elif p.type == 'image' %}<img>{% endif %}{% endfor %}{% endif %}|{% endfor %}",
     {"messages": [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What is this?"}]}, {"role": "assistant", "content": "A cat."}]})

# ---------------------------------------------------------------- lexer corner cases
case("tag markers inside strings", "{{ '}}' ~ '%}' ~ '{{' }}{% set x = '%}' %}{{ x }}{# '#}' still text")
case("comment ends at the first marker", "{# a #} b #}")
case("minus right after print opening is whitespace control", "a {{-1}} b {{ -1 }} c")
case("lstrip at template start", "   {% if true %}x{% endif %}")
case("no lstrip after a print tag on the same line", "{{ 'a' }}   {% if true %}b{% endif %}")
case("lstrip after a comment that ate its newline", "{# c #}\n   {% if true %}b{% endif %}")
case("plus on a comment keeps the newline", "{# c +#}\nb")
case("blank lines around indented blocks", "start\n\n    {% for i in [1] %}\n\n    item {{ i }}\n\n    {% endfor %}\n\nend\n")
case("block tag between text on one line", "x {% if true %}y{% endif %} z\n  {% if true %}w{% endif %}  \nv")
case("windows line endings in a template", "{% if true %}\r\n  a\r\n{% endif %}\r\nb\r\n")
case("tabs before block tags", "\t\t{% for i in 'ab' %}\n\t\t{{ i }}\n\t\t{% endfor %}\n")
case("whitespace control in nested loops", "{%- for i in [1, 2] -%}\n  [\n  {%- for j in 'ab' %} {{ i }}{{ j }} {%- endfor %}\n  ]\n{%- endfor %}")
case("raw block inside indented lines", "  {% raw %}\n  {{ x }}\n  {% endraw %}\nend")
case("unicode identifiers", "{% set café = 'ok' %}{{ café }}")

# ---------------------------------------------------------------- undefined through filters
case("filters over undefined", "[{{ missing|upper }}][{{ missing|trim }}][{{ missing|join(',') }}][{{ missing|list }}][{{ missing|first }}][{{ missing|string }}][{{ missing|length }}][{{ missing|replace('a', 'b') }}][{{ missing|sort }}][{{ missing|unique|list }}][{{ missing|sum }}][{{ missing|max }}][{{ missing|select|list }}][{{ missing|map('upper')|list }}][{{ missing|items|list }}][{{ missing|reverse|list }}][{{ missing|last }}][{{ missing|e }}]")
case("undefined is iterable and a sequence", "{{ missing is iterable }} {{ missing is sequence }} {{ missing is mapping }} {{ 'x' in missing }} {{ missing is none }} {{ missing is string }}")
case("undefined float filter fails", "{{ missing|float }}")
case("undefined dictsort fails", "{{ missing|dictsort }}")
case("undefined comparison fails", "{{ missing < 1 }}")
case("undefined in a condition is false", "{% if missing %}yes{% else %}no{% endif %} {% if not missing %}neg{% endif %} {{ missing or 'fallback' }}")
case("inline if without else is undefined", "[{{ 'x' if false }}] {{ ('x' if false) is defined }}")

# ---------------------------------------------------------------- number formatting
case("float repr extremes", "{{ 1e22 }} {{ 1.7976931348623157e308 }} {{ 5e-324 }} {{ 0.1 * 3 }} {{ 100.0 }} {{ 123456789012345678.0 }} {{ 9999999999999998.0 }} {{ 0.000123 }} {{ 1.5e-5 }} {{ 2.0 ** 0.5 }} {{ 10 / 4 }} {{ 1e300 * 1e10 }} {{ -1e300 * 1e10 }}")
case("float formatting with percent", "{{ '%s|%r|%d|%5.2f|%e|%g|%g|%g|%i|%.0f|%.1f' % (none, 'q', 3.7, -1.005, 12345.678, 0.00001234, 123456789, 100000, 4, 2.5, 0.25) }}")
case("format spec mini language", "{{ '{:e}|{:g}|{:%}|{:+d}|{:x}|{:#x}|{:08.3f}|{:*^9}|{}|{:.3}|{:.3}|{:>6.2%}|{:,.2f}'.format(1234.5, 1e-7, 0.25, 5, 255, 255, -3.14159, 'mid', 1.0, 3.14159, 'abcdef', 0.5, 1234567.891) }}")
case("round half to even and precision", "{{ 0.5|round }} {{ 1.5|round }} {{ -0.5|round }} {{ 1.005|round(2) }} {{ 2.5|round(0) }} {{ 12.345|round(1) }} {{ 7|round(1) }} {{ -2.5|round(method='floor') }}")
case("int and float filter corner cases", "{{ '  -3  '|int }} {{ '+5'|int }} {{ '1e5'|int }} {{ '0b101'|int(base=2) }} {{ '12abc'|int }} {{ ''|int }} {{ 'nan'|int }} {{ 'inf'|int }} {{ '1_0'|float }} {{ ' 2.5\n'|float }} {{ 'infinity'|float }} {{ '1.'|float }} {{ '.5'|float }} {{ 'e5'|float }} {{ [1]|int }} {{ -3.9|int }} {{ '077'|int }} {{ '0x10'|int(base=0) }}")
case("integer division and modulo signs", "{{ 7 // -2 }} {{ -7 // -2 }} {{ 7 % -3 }} {{ 7.0 % -3 }} {{ -0.0 % 5 }} {{ 5 % 2.5 }} {{ 2 ** -1 }} {{ (-8) ** 2 }} {{ 0 ** 0 }} {{ 10 // 3.0 }}")

# ---------------------------------------------------------------- tojson corner cases
case("tojson numbers", "{{ [1e300, 123456789012, -5, 0.1, 1e16, 1.0]|tojson }} {{ {'a': [], 'b': {}}|tojson(indent=0) }}")
case("tojson ensure_ascii escapes astral characters", "{{ '😀é\x7f'|tojson(ensure_ascii=true) }} {{ '😀é\x7f\u2028'|tojson }}")
case("tojson sort_keys with mixed key types fails", "{{ {1: 'a', 'b': 2}|tojson(sort_keys=true) }}")
case("tojson of a namespace fails", "{{ namespace(a=1)|tojson }}")
case("tojson indent with separators", "{{ {'a': [1, 2]}|tojson(indent=1, separators=(', ', ' = ')) }}")

# ---------------------------------------------------------------- repr corner cases
case("repr of unusual characters", "{{ ['\u200b', '\x7f', 'é', '\u00a0', '\U0001F600', '\x1b', '\\\\', '\r'] }}")
case("printing generators and namespaces", "{{ namespace(a=1) }} {{ {'k': (1, 2)} }} {{ [range(2)] }} {{ [missing] }} {{ ('a',) }}")

# ---------------------------------------------------------------- comparisons and membership
case("string ordering is by code point", "{{ 'B' < 'a' }} {{ 'é' > 'z' }} {{ '😀' > '\uffff' }} {{ ['b', 'a', 'B', 'é', 'Z']|sort }}")
case("tuple and list comparisons", "{{ (1, 2) < (1, 3) }} {{ [1, 'a'] == [1, 'a'] }} {{ [1, [2, 3]] < [1, [2, 4]] }} {{ (1,) == (1.0,) }}")
case("none ordering fails", "{{ none < 1 }}")
case("membership corner cases", "{{ none in [none] }} {{ 'a' in ['a'] }} {{ 1 in {1: 'x'} }} {{ 1.0 in {1: 'x'} }} {{ 'x' in {'k': 'x'} }} {{ [1] in [[1]] }} {{ '' in 'abc' }}")
case("int in string fails", "{{ 1 in 'abc' }}")
case("identity with sameas", "{% set x = [1, 2] %}{% set y = x %}{{ y is sameas x }} {{ [1, 2] is sameas x }} {{ 300 is sameas 300 }} {{ true is sameas true }}")

# ---------------------------------------------------------------- more tests
case("type tests on engine values", "{{ (1, 2) is sequence }} {{ range(3) is sequence }} {{ {}.items() is iterable }} {{ {}.items() is sequence }} {{ namespace() is mapping }} {{ none is string }} {{ 1.0 is integer }} {{ 'A1' is upper }} {{ '' is lower }} {{ [1]|select is iterable }} {{ [1]|select is sequence }}")
case("tests with keyword arguments", "{{ 3 is divisibleby(num=3) }} {{ 1 is eq(b=1) }}")

# ---------------------------------------------------------------- loops
case("loop length with a filter and break", "{% for x in range(10) if x % 3 == 0 %}{{ loop.index }}/{{ loop.length }}{% if loop.index == 2 %}{% break %}{% endif %} {% endfor %}")
case("loop over a generator knows last and length", "{% for x in [1, 2, 3]|select %}{{ x }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }} {% endfor %}")
case("loop filter sees namespace changes lazily", "{% set ns = namespace(stop=false) %}{% for x in range(5) if not ns.stop %}{{ x }}{% if x == 2 %}{% set ns.stop = true %}{% endif %}{% endfor %}")
case("loop filter with last looks ahead", "{% set ns = namespace(stop=false) %}{% for x in range(5) if not ns.stop %}{{ x }}{{ loop.last }}{% if x == 2 %}{% set ns.stop = true %}{% endif %} {% endfor %}")
case("loop variable does not leak", "{% for i in [1, 2] %}{% endfor %}[{{ i }}] {% set i = 'outer' %}{% for i in [1] %}{{ i }}{% endfor %}{{ i }}")
case("loop variable shadowing and restore", "{% set loop = 'mine' %}{% for x in [1] %}{{ loop.index }}{% endfor %}{{ loop }}")
case("cycle without arguments fails", "{% for x in [1] %}{{ loop.cycle() }}{% endfor %}")
case("calling loop without recursive fails", "{% for x in [[1]] %}{{ loop(x) }}{% endfor %}")
case("loop over string and tuple unpacking of strings", "{% for a, b in ['xy', 'zw'] %}{{ b }}{{ a }}{% endfor %}")
case("nested loop with outer loop reference", "{% for row in [[1, 2], [3]] %}{% set outer = loop %}{% for cell in row %}{{ outer.index0 }}.{{ loop.index0 }}={{ cell }}{{ ',' if not (outer.last and loop.last) }}{% endfor %}{% endfor %}")
case("break skips else", "{% for x in [1, 2] %}{% break %}{% else %}else{% endfor %}done")
case("continue in the last iteration", "{% for x in [1, 2, 3] %}{% if loop.last %}{% continue %}{% endif %}{{ x }}{% endfor %}")

# ---------------------------------------------------------------- scoping
case("macro defined in a loop sees the loop variable", "{% for i in [1, 2] %}{% macro show() %}<{{ i }}>{% endmacro %}{{ show() }}{% endfor %}")
case("macro default referencing another parameter", "{% macro m(a, b=a * 2) %}{{ a }},{{ b }}{% endmacro %}{{ m(3) }} {{ m(3, 1) }}")
case("set inside a macro stays local", "{% set x = 'outer' %}{% macro m() %}{% set x = 'inner' %}{{ x }}{% endmacro %}{{ m() }}{{ x }}")
case("with sees outer values", "{% set a = 5 %}{% with b = a + 1 %}{{ a }}{{ b }}{% set a = 0 %}{{ a }}{% endwith %}{{ a }}")
case("namespace list accumulation", "{% set ns = namespace(items=[]) %}{% for m in ['a', 'b'] %}{% set ns.items = ns.items + [m|upper] %}{% endfor %}{{ ns.items|join(',') }}")
case("namespace attribute missing is undefined", "[{{ namespace().nope }}] {{ namespace().nope is defined }}")
case("set block inside loop is per iteration", "{% for i in [1, 2] %}{% set s %}<{{ i }}>{% endset %}{{ s }}{% endfor %}[{{ s }}]")
case("caller inside nested macro calls", "{% macro outer() %}[{{ caller() }}]{% endmacro %}{% macro inner() %}({{ caller() }}){% endmacro %}{% call outer() %}{% call inner() %}x{% endcall %}{% endcall %}")
case("variables set after a loop are visible", "{% for i in [1] %}{% endfor %}{% set after = 1 %}{{ after }}")

# ---------------------------------------------------------------- strings
case("string multiplication and empty lists", "[{{ 'abc' * 0 }}] {{ [] * 2 }} {{ [1, 2] * 0 }}")
case("title filter vs title method", "{{ \"o'neil mc-donald\"|title }} {{ \"o'neil mc-donald\".title() }} {{ 'ǆemal'|title }} {{ 'hello\tworld'|title }}")
case("splitting with maxsplit keywords", "{{ 'a b c d'.split(maxsplit=2) }} {{ 'a,b,c'.rsplit(',', maxsplit=1) }} {{ 'a,b,c'.split(sep=',') }}")
case("find with negative ranges", "{{ 'hello'.find('l', -2) }} {{ 'hello'.rfind('l', 0, -2) }} {{ 'hello'.count('l', -3, -1) }} {{ 'abc'.find('', 10) }} {{ 'abc'.startswith('c', -1) }}")
case("strip with unicode whitespace", "[{{ '\u2003x\u3000'.strip() }}] [{{ '\u00a0x'|trim }}] [{{ '\x1cx'.strip() }}]")
case("replace and count with unicode", "{{ '😀a😀'.replace('😀', 'x') }} {{ '😀😀'.count('😀') }} {{ '😀abc'.find('b') }} {{ '😀abc'.index('c') }} {{ '😀x'|center(5, ) }}|{{ 'a😀'.center(6, '*') }}")
case("empty separator fails", "{{ 'abc'.split('') }}")
case("string concatenation with plus requires strings", "{{ 'a' + 1 }}")
case("list concatenation with a tuple fails", "{{ [1] + (2,) }}")
case("escape filter on non strings", "{{ none|e }} {{ 5|e }} {{ [1, '<']|e }}")
case("markup concatenation escapes plain strings", "{{ ('<b>'|safe) + '<i>' }} {{ ('<b>'|safe) ~ ('<i>'|e) }} {{ ('x'|safe) * 2 }}")
case("wordcount with unicode and punctuation", "{{ 'héllo wörld, foo_bar 42!'|wordcount }} {{ ''|wordcount }}")
case("indent with first and blank lines", "{{ 'a\n\nb\n'|indent(2, first=true) }}|{{ 'a\n\nb\n'|indent(2, blank=true) }}|{{ ''|indent(first=true) }}|")
case("center with odd padding", "[{{ 'a'|center(4) }}] [{{ 'ab'|center(5) }}] [{{ 'abc'|center(2) }}]")

# ---------------------------------------------------------------- dict literals and keys
case("dict literal with computed keys", "{% set k = 'dyn' %}{{ {k: 1, k ~ '2': 2, (1, 2): 't'} }}")
case("dict with unhashable key fails", "{{ {[1]: 2} }}")
case("dict items unpack in for with sorted keys", "{% for k, v in {'b': 1, 'a': 2}|dictsort %}{{ k }}{{ v }}{% endfor %}")
case("dict get with default and numeric keys", "{{ {1: 'one'}.get(1.0) }} {{ {1: 'one'}[true] }} {{ {'a': 1}['a'] }}")

# ---------------------------------------------------------------- idioms from published chat templates
case("range slicing stays a range", "{{ range(5)[1:] }} {{ range(10)[::-1] }} {{ range(10)[::3] }} {{ range(3)[5:] }} {{ range(2, 8)[-2:] }} {{ range(10)[8:2:-2]|list }}")
case("selectattr first system message", "{% set sys = messages|selectattr('role', 'equalto', 'system')|list|first %}{{ sys.content if sys is defined else 'none' }}|{{ (messages|selectattr('role', 'eq', 'tool')|list|first) is defined }}",
     {"messages": CONV_BASIC})
case("content none in membership fails", "{% if '</think>' in m.content %}x{% endif %}", {"m": {"role": "assistant", "content": None}})
case("content none is not string", "{{ m.content is string }} {{ m.content is none }} {{ m.content|string }} [{{ m.content or '' }}]", {"m": {"role": "assistant", "content": None}})
case("multimodal content membership checks", "{% for c in content %}{% if c['type'] == 'image' or 'image' in c or 'image_url' in c %}<img>{% elif c['type'] == 'video' or 'video' in c %}<vid>{% elif 'text' in c %}{{ c['text'] }}{% endif %}{% endfor %}",
     {"content": [{"type": "image", "image": "x.png"}, {"image_url": {"url": "u"}}, {"type": "video"}, {"type": "text", "text": "hi"}]})
case("tool parameters iteration", "{% for tool in tools %}{% set f = tool.function %}{{ f.name }}({% for pname, p in f.parameters.properties.items() %}{{ pname }}: {{ p.type }}{{ ', ' if not loop.last }}{% endfor %}){% if f.parameters.required %} req={{ f.parameters.required|join('|') }}{% endif %}\n{% endfor %}",
     {"tools": TOOLS})
case("message get with default", "{% for m in msgs %}{{ m.get('content', '-') }}{{ m.get('name') }};{% endfor %}", {"msgs": [{"role": "user"}, {"role": "user", "content": "c", "name": "n"}]})
case("last message checks", "{{ messages[-1]['role'] }} {{ messages[-1].content|trim }} {{ (messages|last).role }} {{ messages|length is even }}", {"messages": CONV_BASIC})
case("escaped newlines in replace", "{{ text|replace('\\n', '\\\\n') }} {{ text.replace('\\n', ' ') }}", {"text": "a\nb\nc"})
case("whitespace only output lines with minus", "{%- for m in ['a', 'b'] -%}\n    {{- '\\n' if not loop.first -}}\n    {{- m -}}\n{%- endfor -%}")
case("if with tuple condition and chained not", "{% if not not 1 %}a{% endif %}{% if not (1 and 0) %}b{% endif %}{% if 1, %}c{% endif %}")

# ---------------------------------------------------------------- None is a value, not undefined
case("namespace attribute holding none", "{% set ns = namespace(x=None) %}{{ ns.x is none }} {{ ns.x is defined }} {{ ns.x }} {{ ns['x'] is none }} {{ ns.x|string }} {{ ns.x ~ '' }} [{{ ns.nope }}] {{ ns.nope is defined }}")
case("namespace attribute set to none later", "{% set ns = namespace(x=1) %}{% for m in [1] %}{% set ns.x = none %}{% endfor %}{{ ns.x is none }} {{ ns.x is defined }} {{ ns.x }} {{ ns.x|default('d') }} {{ ns.x|default('d', true) }}")
case("namespace none attribute in conditions", "{% set ns = namespace(found=none) %}{% if ns.found is none %}unset{% endif %}{% if ns.found is not defined %}undef{% endif %} {{ ns.found == none }} {{ ns }}")
case("attribute of a namespace none attribute is undefined", "{% set ns = namespace(x=none) %}{{ ns.x.y }}")
case("loop previtem and nextitem around none items", "{% for x in [none, 1, none] %}[{{ loop.previtem }}|{{ loop.nextitem }}|{{ loop.previtem is defined }}|{{ loop.nextitem is defined }}|{{ loop.previtem is none }}|{{ loop.nextitem is none }}]{% endfor %}")
case("loop over a single none item", "{% for x in [none] %}{{ x }} {{ x is defined }} {{ loop.previtem is defined }} {{ loop.nextitem is defined }}{% endfor %}")
case("loop nextitem none with a loop filter", "{% for x in [1, none, 2] if x != 2 %}{{ loop.nextitem }} {{ loop.nextitem is defined }};{% endfor %}")
case("cycler holding none", "{% set c = cycler(none, 'b') %}{{ c.current }} {{ c.current is none }} {{ c.current is defined }} {{ c.next() }} {{ c.current }} {{ c.next() }} {{ c.current is none }} {{ c.reset() }} {{ c.current is defined }}")
case("loop cycle with none", "{% for x in range(3) %}{{ loop.cycle(none, 'a') }} {{ loop.cycle(none, 'a') is defined }};{% endfor %}")
case("groupby grouper none", "{% for g in items|groupby('k') %}{{ g.grouper }} {{ g.grouper is none }} {{ g.grouper is defined }} {{ g.list|length }} {{ g[0] is none }} {{ g.count(none) }} {{ g.index(none) }};{% endfor %}{% for key, group in items|groupby('k') %}{{ key is none }}{% endfor %}",
     {"items": [{"k": None, "v": 1}]})
case("groupby default for missing key", "{% for g in items|groupby('k', default='other') %}{{ g.grouper }}={{ g.list|map(attribute='v')|join(',') }};{% endfor %}",
     {"items": [{"k": "a", "v": 1}, {"v": 2}, {"k": "a", "v": 3}]})
case("groupby of several none keys cannot sort", "{{ items|groupby('k')|list }}", {"items": [{"k": None}, {"k": None}]})
case("dict values holding none", "{{ d.x }} {{ d['x'] }} {{ d.get('x') }} {{ d.get('x', 'dflt') }} {{ d.get('nope', 'dflt') }} {{ d.x is none }} {{ d.x is defined }} {{ d['x'] is defined }} {{ d.get('x') is none }} {{ d.y.z is none }} {{ 'x' in d }} {{ d|length }} {{ d.items()|list }}",
     {"d": {"x": None, "y": {"z": None}}})
case("dict literal values holding none", "{% set d = {'a': none} %}{{ d.a is defined }} {{ d['a'] is none }} {{ d.get('a', 1) }} {{ d.a|default('x') }} {{ d.values()|list }} {{ d|dictsort }}")
case("attribute of a dict none value is undefined", "[{{ d.x.y }}] {{ d.x.y is defined }} [{{ d.x[0] }}]", {"d": {"x": None}})
case("list items holding none", "{% set l = [none, 1, none] %}{{ l[0] }} {{ l.0 is none }} {{ l[-1] is defined }} {{ l[2] is none }} {{ l[5] is defined }} {{ l|first is none }} {{ l|last is defined }} {{ l[:1] }} {{ l|select('none')|list|length }} {{ l|reject('none')|list }}")
case("tuple items holding none", "{% set t = (none, 2) %}{{ t[0] is defined }} {{ t.0 }} {% set a, b = t %}{{ a is defined }} {{ a is none }} {{ b }}")
case("macro parameters defaulting to none", "{% macro m(a, b=none, c=None) %}{{ a is none }}/{{ a is defined }} {{ b is none }}/{{ b is defined }} {{ b }} {{ c }}|{% endmacro %}{{ m(none) }}{{ m(1, b=none) }}{{ m(1, 2, none) }}{{ m() }}")
case("macro none in varargs and kwargs", "{% macro m() %}{{ varargs }} {{ varargs[0] is none }} {{ kwargs }} {{ kwargs.k is none }} {{ kwargs.k is defined }}{% endmacro %}{{ m(none, 1, k=none) }}")
case("call block caller receiving none", "{% macro each(items) %}{% for i in items %}{{ caller(i) }}{% endfor %}{% endmacro %}{% call(x) each([none, 'a']) %}[{{ x }} {{ x is defined }}]{% endcall %}")
case("none literal through set and with", "{% set x = none %}{{ x is defined }} {{ x is none }} {{ x }} {% with y = none %}{{ y is defined }}{{ y }}{% endwith %} {% set p, q = none, none %}{{ p is defined }}{{ q is none }}")
case("none variable shadows an outer value", "{% set x = 'outer' %}{% for i in [1] %}{% set x = none %}{{ x }} {{ x is defined }}{% endfor %} {{ x }}", {"y": None})
case("context variable holding none", "{{ y is defined }} {{ y is none }} {{ y }} {{ y|default('d') }}", {"y": None})
case("filters returning none", "{{ [none]|first }} {{ [none]|first is defined }} {{ [1, none]|last is none }} {{ [{'a': none}]|map(attribute='a')|list }} {{ [{'a': none}, {}]|map(attribute='a', default='d')|list }} {{ none|default('d') is none }} {{ {'a': none}|items|list }} {{ [{'a': none}, {'a': 1}]|selectattr('a', 'none')|list }} {{ [none, 'x']|join('-') }}")
case("attr filter on a namespace holding none", "{% set ns = namespace(x=none) %}{{ ns|attr('x') is none }} {{ ns|attr('x') is defined }} {{ ns|attr('nope') is defined }}")
case("none from methods and calls", "{{ {'a': 1}.get('b') is none }} {{ {'a': 1}.get('b') is defined }} {% set c = cycler(1) %}{{ c.reset() is none }} {{ c.reset() is defined }}")
case("tojson of namespace none attribute", "{% set ns = namespace(x=none) %}{{ ns.x|tojson }} {{ [ns.x]|tojson }}")

# ---------------------------------------------------------------- lipsum (text is random; only its shape is recorded)
case("lipsum is a callable global", "{{ lipsum is callable }} {{ lipsum is defined }} [{{ lipsum(0) }}] [{{ lipsum(0, false) }}] {{ lipsum(0) is escaped }}")
case("lipsum default shape", "{% set p = lipsum() %}{{ p is escaped }} {{ p.count('<p>') }} {{ p.count('</p>') }} {{ p.split('\n')|length }} {{ p.startswith('<p>') }} {{ p.endswith('.</p>') }}")
case("lipsum plain paragraphs", "{% set p = lipsum(3, false) %}{{ p is escaped }} {{ p.split('\n\n')|length }} {{ '<p>' in p }} {% for para in p.split('\n\n') %}{{ para[0] is upper }}{{ para.endswith('.') }}{{ '\n' in para }} {% endfor %}")
case("lipsum word counts lie in min to max", "{% for para in lipsum(6, false, 3, 6).split('\n\n') %}{{ para.split()|length in [3, 4, 5] }} {% endfor %}{% for para in lipsum(2, html=false, min=1, max=2).split('\n\n') %}{{ para.split()|length }}{{ para.endswith('.') }}{{ para[:-1].isalpha() }} {% endfor %}")
case("lipsum words come from the lorem ipsum list", "{% set ns = namespace(ok=true) %}{% for w in lipsum(4, false).replace(',', ' ').replace('.', ' ').lower().split() %}{% if w not in words %}{% set ns.ok = false %}{% endif %}{% endfor %}{{ ns.ok }}",
     {"words": LOREM_IPSUM_WORDS.split()})
case("lipsum with an empty word range fails", "{{ lipsum(1, min=5, max=5) }}")

# ---------------------------------------------------------------- realistic templates
base = {"bos_token": "<s>", "eos_token": "</s>", "tools": None, "documents": None}
file_case("llama31 style basic conversation", "llama31_style.jinja", dict(base, bos_token="<|begin_of_text|>", eos_token="<|eot_id|>", messages=CONV_BASIC, add_generation_prompt=True))
file_case("llama31 style with date string", "llama31_style.jinja", dict(base, bos_token="<|begin_of_text|>", messages=CONV_NO_SYSTEM, add_generation_prompt=False, date_string="01 Jan 2025"))
file_case("llama31 style with tools in user message", "llama31_style.jinja", dict(base, bos_token="<|begin_of_text|>", messages=CONV_TOOL_CALL, tools=TOOLS, add_generation_prompt=True))
file_case("llama31 style with tools in system message", "llama31_style.jinja", dict(base, bos_token="<|begin_of_text|>", messages=CONV_BASIC, tools=TOOLS, tools_in_user_message=False, add_generation_prompt=True))
file_case("llama31 style rejects parallel tool calls", "llama31_style.jinja", dict(base, messages=[{"role": "user", "content": "x"}, {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "a", "arguments": {}}}, {"function": {"name": "b", "arguments": {}}}]}]))
file_case("mistral style with system message", "mistral_style.jinja", dict(base, messages=CONV_BASIC, add_generation_prompt=True))
file_case("mistral style without system message", "mistral_style.jinja", dict(base, messages=CONV_NO_SYSTEM))
file_case("mistral style rejects non alternating roles", "mistral_style.jinja", dict(base, messages=CONV_BAD_ORDER))
file_case("mistral style rejects tool role", "mistral_style.jinja", dict(base, messages=[{"role": "user", "content": "a"}, {"role": "tool", "content": "b"}]))
file_case("gemma style folds system into first user turn", "gemma_style.jinja", dict(base, bos_token="<bos>", messages=CONV_BASIC, add_generation_prompt=True))
file_case("gemma style without system", "gemma_style.jinja", dict(base, bos_token="<bos>", messages=CONV_NO_SYSTEM, add_generation_prompt=False))
file_case("gemma style with multimodal parts", "gemma_style.jinja", dict(base, bos_token="<bos>", messages=[{"role": "system", "content": [{"type": "text", "text": "Sys."}]}, {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "  Describe  "}]}], add_generation_prompt=True))
file_case("gemma style rejects non alternating roles", "gemma_style.jinja", dict(base, bos_token="<bos>", messages=CONV_BAD_ORDER))
file_case("deepseek r1 style with tools and thinking", "deepseek_r1_style.jinja", dict(base, bos_token="<｜begin▁of▁sentence｜>", messages=[
    {"role": "system", "content": "Sys A"}, {"role": "system", "content": "Sys B"},
    {"role": "user", "content": "Q1"},
    {"role": "assistant", "content": None, "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": "{\"x\": 1}"}}, {"type": "function", "function": {"name": "g", "arguments": "{}"}}]},
    {"role": "tool", "content": "r1"}, {"role": "tool", "content": "r2"},
    {"role": "assistant", "content": "<think>hmm</think>Final"},
    {"role": "user", "content": "Q2"}], add_generation_prompt=True))
file_case("phi3 style", "phi3_style.jinja", dict(base, eos_token="<|endoftext|>", messages=CONV_BASIC, add_generation_prompt=False))
file_case("loose whitespace style with tools", "loose_whitespace_style.jinja", dict(base, messages=CONV_BASIC, tools=TOOLS, add_generation_prompt=True))
file_case("loose whitespace style without messages", "loose_whitespace_style.jinja", dict(base, messages=[], add_generation_prompt=False))
file_case("unicode content survives templates", "llama31_style.jinja", dict(base, bos_token="<|begin_of_text|>", messages=CONV_UNICODE, add_generation_prompt=True))


def main():
    env = make_env()
    out = []
    names = set()
    for c in CASES:
        assert c["name"] not in names, c["name"]
        names.add(c["name"])
        if "template_file" in c:
            with open(os.path.join(HERE, "templates", c["template_file"]), encoding="utf-8") as f:
                source = f.read()
        else:
            source = c["template"]
        entry = dict(c)
        try:
            entry["expected"] = env.from_string(source).render(**c["vars"])
        except jinja2.exceptions.TemplateSyntaxError as e:
            entry["error"] = {"kind": "syntax", "type": type(e).__name__, "message": e.message, "line": e.lineno}
        except jinja2.exceptions.TemplateError as e:
            kind = "raised" if type(e) is jinja2.exceptions.TemplateError else "runtime"
            entry["error"] = {"kind": kind, "type": type(e).__name__, "message": str(e)}
        except SyntaxError as e:  # e.g. 'break' outside loop, reported by Python's compiler
            entry["error"] = {"kind": "syntax", "type": type(e).__name__, "message": e.msg, "line": None}
        except Exception as e:  # TypeError, ValueError, ... raised while rendering
            entry["error"] = {"kind": "runtime", "type": type(e).__name__, "message": str(e)}
        out.append(entry)
    with open(os.path.join(HERE, "jinja2_cases.json"), "w", encoding="utf-8") as f:
        json.dump({"generator": "generate_jinja2_cases.py", "jinja2_version": jinja2.__version__,
                   "python_version": sys.version.split()[0], "cases": out}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(out)} cases")


if __name__ == "__main__":
    main()
