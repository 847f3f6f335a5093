package dev.groupflow.verify.code;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The tests of one prompt row, from its metadata: {@code test_code} (Python run after the program, typically
 * asserts) and/or {@code tests} (a list of {@code {input, output}} stdin/stdout pairs). When both are given, both
 * must pass.
 *
 * @param testCode the assert code, or null
 * @param inputs stdin of each stdin/stdout test
 * @param outputs the expected stdout of each (never sent into the sandbox)
 */
public record CodeTests(String testCode, List<String> inputs, List<String> outputs) {
    public CodeTests {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }

    /** Reads the metadata; a row without usable tests is an {@link IllegalArgumentException} (a failed outcome). */
    public static CodeTests from(Map<String, Object> metadata) {
        Object code = metadata.get("test_code");
        Object tests = metadata.get("tests");
        if (code != null && !(code instanceof String)) {
            throw new IllegalArgumentException("metadata.test_code must be a string");
        }
        String testCode = code == null || ((String) code).isBlank() ? null : (String) code;
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        if (tests != null) {
            if (!(tests instanceof List<?> list)) {
                throw new IllegalArgumentException("metadata.tests must be a list of {input, output} objects");
            }
            for (int i = 0; i < list.size(); i++) {
                if (!(list.get(i) instanceof Map<?, ?> t) || !t.containsKey("output")) {
                    throw new IllegalArgumentException("metadata.tests[" + i + "] must be an object with 'output'");
                }
                inputs.add(text(t.get("input"), "metadata.tests[" + i + "].input"));
                outputs.add(text(t.get("output"), "metadata.tests[" + i + "].output"));
            }
        }
        if (testCode == null && outputs.isEmpty()) {
            throw new IllegalArgumentException("the prompt row has no tests (metadata.test_code or metadata.tests)");
        }
        return new CodeTests(testCode, inputs, outputs);
    }

    private static String text(Object v, String where) {
        if (v == null) {
            return "";
        }
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        throw new IllegalArgumentException(where + " must be a string");
    }

    /** Output comparison: trailing whitespace of each line and trailing empty lines do not count. */
    public static String normalise(String output) {
        String[] lines = output.split("\r?\n", -1);
        StringBuilder sb = new StringBuilder();
        int end = lines.length;
        while (end > 0 && lines[end - 1].strip().isEmpty()) {
            end--;
        }
        for (int i = 0; i < end; i++) {
            sb.append(lines[i].stripTrailing()).append('\n');
        }
        return sb.toString();
    }
}
