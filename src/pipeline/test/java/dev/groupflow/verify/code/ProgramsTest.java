package dev.groupflow.verify.code;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ProgramsTest {
    @Test
    void takesTheLastPythonOrUnmarkedBlock() {
        String text = "First try:\n```python\nprint(1)\n```\nBetter:\n```\nprint(2)\n```\nRun it with:\n"
                + "```bash\npython3 main.py\n```\n";
        assertEquals("print(2)\n", Programs.extract(text));
        assertEquals("x = 1\ny = 2\n", Programs.extract("```py\nx = 1\ny = 2\n```"));
        assertEquals("a\n", Programs.extract("~~~python3\na\n~~~"));
    }

    @Test
    void wholeTextWithoutABlockAndAnOpenBlockWhenTruncated() {
        assertEquals("def f():\n    return 1\n", Programs.extract("def f():\n    return 1\n"));
        assertEquals("def f():\n    return\n", Programs.extract("Sure.\n```python\ndef f():\n    return"));
        assertEquals("echo hi\n```", Programs.extract("echo hi\n```"));
    }

    @Test
    void longerFencesMayContainShorterOnes() {
        String text = "````python\ns = '''\n```\n'''\nprint(s)\n````\n";
        assertEquals("s = '''\n```\n'''\nprint(s)\n", Programs.extract(text));
    }
}
