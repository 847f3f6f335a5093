package dev.groupflow.jinja;

import java.util.List;
import java.util.Map;

/** Anything a template can call: macros, globals such as {@code range}, and bound methods. */
interface PyCallable {
    Object call(Interpreter in, List<Object> args, Map<String, Object> kwargs);

    /** How the callable prints. */
    String describe();
}
