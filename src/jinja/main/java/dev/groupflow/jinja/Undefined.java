package dev.groupflow.jinja;

/**
 * Jinja2's default {@code Undefined}: prints as the empty string, is falsy, iterates as empty and
 * has length 0; any other use (arithmetic, attribute access, calling) raises an error carrying the
 * reason the value is undefined.
 */
final class Undefined {
    private static final Object NO_OBJECT = new Object();

    private final String hint;
    private final Object obj;
    private final Object name;
    private final boolean security;

    private Undefined(String hint, Object obj, Object name, boolean security) {
        this.hint = hint;
        this.obj = obj;
        this.name = name;
        this.security = security;
    }

    /** A variable that does not exist. */
    static Undefined variable(String name) {
        return new Undefined(null, NO_OBJECT, name, false);
    }

    /** A missing attribute or item of an existing object. */
    static Undefined member(Object obj, Object name) {
        return new Undefined(null, obj, name, false);
    }

    /** An undefined value with an explicit explanation. */
    static Undefined hint(String hint) {
        return new Undefined(hint, NO_OBJECT, null, false);
    }

    /** An attribute the sandbox refuses to expose; using it raises a security error. */
    static Undefined unsafe(Object obj, String attr) {
        return new Undefined("access to attribute '" + attr + "' of '" + Py.typeName(obj)
                + "' object is unsafe.", obj, attr, true);
    }

    String message() {
        if (hint != null) {
            return hint;
        }
        if (obj == NO_OBJECT) {
            return Py.repr(name) + " is undefined";
        }
        if (!(name instanceof String)) {
            return Py.objectTypeRepr(obj) + " has no element " + Py.repr(name);
        }
        return Py.repr(Py.objectTypeRepr(obj)) + " has no attribute " + Py.repr(name);
    }

    /** The error Jinja2 raises when this value is used in a way Undefined does not support. */
    TemplateException error() {
        return new TemplateException((security ? "SecurityError: " : "UndefinedError: ") + message());
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Undefined;
    }

    @Override
    public int hashCode() {
        return 7;
    }

    @Override
    public String toString() {
        return "";
    }
}
