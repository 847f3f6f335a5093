package dev.groupflow.verify.code;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

class CodeTestsTest {
    @Test
    void readsTestCodeAndStdinStdoutPairs() {
        CodeTests t = CodeTests.from(Map.of("test_code", "assert f() == 1",
                "tests", List.of(Map.of("input", "1\n", "output", "2\n"), Map.of("output", 3))));
        assertEquals("assert f() == 1", t.testCode());
        assertEquals(List.of("1\n", ""), t.inputs());
        assertEquals(List.of("2\n", "3"), t.outputs());
        assertNull(CodeTests.from(Map.of("tests", List.of(Map.of("output", "")))).testCode());
    }

    @Test
    void rowsWithoutUsableTestsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> CodeTests.from(Map.of()));
        assertThrows(IllegalArgumentException.class, () -> CodeTests.from(Map.of("test_code", "  \n")));
        assertThrows(IllegalArgumentException.class, () -> CodeTests.from(Map.of("test_code", 3)));
        assertThrows(IllegalArgumentException.class, () -> CodeTests.from(Map.of("tests", "1 2")));
        assertThrows(IllegalArgumentException.class, () -> CodeTests.from(Map.of("tests", List.of(Map.of()))));
        assertThrows(IllegalArgumentException.class,
                () -> CodeTests.from(Map.of("tests", List.of(Map.of("output", List.of())))));
    }

    @Test
    void outputsCompareWithoutTrailingWhitespace() {
        assertEquals(CodeTests.normalise("1 2\n3\n"), CodeTests.normalise("1 2   \r\n3\t\n\n\n"));
        assertEquals(CodeTests.normalise("a"), CodeTests.normalise("a\n"));
        assertEquals("", CodeTests.normalise(" \n\n"));
        Assertions.assertNotEquals(CodeTests.normalise(" a"), CodeTests.normalise("a"));
        Assertions.assertNotEquals(CodeTests.normalise("a\n\nb"), CodeTests.normalise("a\nb"));
    }
}
