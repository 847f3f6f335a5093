package dev.groupflow.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProgressLineTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void inPlaceRewritesOneLineAndEndsItOnTheLastUpdate() {
        ProgressLine p = ProgressLine.inPlace(out, Duration.ZERO, 200);
        p.update("step 1/3", false);
        p.update("step 2/3", false);
        p.update("step 3/3", true);
        String c = ProgressLine.CLEAR;
        assertEquals("\rstep 1/3" + c + "\rstep 2/3" + c + "\rstep 3/3" + c + System.lineSeparator(), text());
    }

    @Test
    void otherOutputClearsTheLineAndTheLineIsRedrawnBelowIt() {
        ProgressLine p = ProgressLine.inPlace(out, Duration.ZERO, 200);
        PrintStream others = p.guard();
        p.update("step 1/9", false);
        others.println("checkpoint written");
        String c = ProgressLine.CLEAR;
        assertEquals("\rstep 1/9" + c + "\r" + c + "checkpoint written" + System.lineSeparator() + "\rstep 1/9" + c,
                text());
    }

    @Test
    void aPartialLineOfOthersIsNeverDrawnOver() {
        ProgressLine p = ProgressLine.inPlace(out, Duration.ZERO, 200);
        PrintStream others = p.guard();
        p.update("step 1/9", false);
        others.print("half a ");
        p.update("step 2/9", false);
        assertTrue(text().endsWith("half a "), text());
        others.print("line\n");
        assertTrue(text().endsWith("half a line\n\rstep 2/9" + ProgressLine.CLEAR), text());
    }

    @Test
    void messagesGoAboveTheLine() {
        ProgressLine p = ProgressLine.inPlace(out, Duration.ZERO, 200);
        p.update("step 4/9", false);
        p.message("eval at step 4");
        assertTrue(text().endsWith("\r" + ProgressLine.CLEAR + "eval at step 4" + System.lineSeparator()
                + "\rstep 4/9" + ProgressLine.CLEAR), text());
    }

    @Test
    void updatesInsideTheIntervalWaitButTheLastOneIsDrawn() {
        ProgressLine p = ProgressLine.inPlace(out, Duration.ofHours(1), 200);
        p.update("step 1/3", false);
        p.update("step 2/3", false);
        assertFalse(text().contains("step 2/3"), text());
        p.update("step 3/3", true);
        assertTrue(text().endsWith("\rstep 3/3" + ProgressLine.CLEAR + System.lineSeparator()), text());
    }

    @Test
    void aLongLineIsCutToTheTerminalWidth() {
        ProgressLine p = ProgressLine.inPlace(out, Duration.ZERO, 30);
        p.update("x".repeat(100), false);
        assertEquals("\r" + "x".repeat(29) + ProgressLine.CLEAR, text());
    }

    @Test
    void plainPrintsWholeLinesWithoutControlCharacters() {
        ProgressLine p = ProgressLine.plain(out);
        PrintStream others = p.guard();
        p.update("step 1/2", false);
        others.println("checkpoint written");
        p.message("eval at step 1");
        p.update("step 2/2", true);
        p.finish();
        String n = System.lineSeparator();
        assertEquals("step 1/2" + n + "checkpoint written" + n + "eval at step 1" + n + "step 2/2" + n, text());
        assertFalse(text().contains("\r") || text().contains("\u001b"));
    }

    @Test
    void theModeComesFromTheSetting() {
        assertTrue(ProgressLine.forConsole("tty", out).inPlace());
        assertFalse(ProgressLine.forConsole("plain", out).inPlace());
        // surefire's forked JVM has no console
        assertEquals(System.console() != null, ProgressLine.forConsole("auto", out).inPlace());
    }
}
