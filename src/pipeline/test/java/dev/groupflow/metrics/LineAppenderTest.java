package dev.groupflow.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real write failures, for root and non-root alike, without mounting anything: {@code /dev/full} (every write
 * fails with ENOSPC) and a file size limit ({@code ulimit -f}: the write that crosses it is cut short, the next
 * fails with EFBIG). A run file never ends with part of a line.
 */
class LineAppenderTest {

    @Test
    void aWriteToAFullDeviceFailsSayingWhy(@TempDir Path tmp) throws Exception {
        Path full = Files.createSymbolicLink(tmp.resolve("metrics.jsonl"), Path.of("/dev/full"));
        try (LineAppender out = new LineAppender(full)) {
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> out.append("{\"step\": 1}"));
            assertTrue(e.getMessage().startsWith("cannot write " + full + ": No space left on device"), e.getMessage());
            assertTrue(e.getMessage().contains("nothing of the line was written"), e.getMessage());
        }
    }

    @Test
    void aWriteCutShortByTheFileSizeLimitIsRemoved(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("metrics.jsonl");
        String java = ProcessHandle.current().info().command().orElse("java");
        String cp = Path.of("target/test-classes").toAbsolutePath() + ":" + Path.of("target/classes").toAbsolutePath();
        // 8 KiB limit, lines of 1000 bytes: 8 whole lines, then a write of which only 192 bytes fit
        Process p = new ProcessBuilder("bash", "-c", "ulimit -f 8 && exec \"$0\" -XX:-UsePerfData -cp \"$1\" "
                + AppendLinesMain.class.getName() + " \"$2\" 20 1000", java, cp, file.toString())
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(3, p.exitValue(), out);
        assertTrue(out.contains("cannot write " + file + ": File too large (the part of the line that was written "
                + "has been removed)"), out);
        assertEquals(8000, Files.size(file), "the file ends after the last whole line");
        List<String> lines = Files.readAllLines(file);
        assertEquals(8, lines.size());
        assertTrue(lines.stream().allMatch(l -> l.length() == 999));
    }

    @Test
    void aTornTailIsCutToTheLastLineBreak(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("completions.jsonl");
        byte[] whole = "{\"step\": 1}\n{\"step\": 2, \"text\": \"é\"}\n".getBytes(StandardCharsets.UTF_8);
        byte[] torn = {'{', '"', 's', 't', 'e', 'p', '"', ':', ' ', '3', ',', ' ', '"', (byte) 0xc3};
        Files.write(f, concat(whole, torn));
        assertEquals(torn.length, LineAppender.cutTornTail(f));
        assertArrayEquals(whole, Files.readAllBytes(f));
        assertEquals(0, LineAppender.cutTornTail(f), "a file of whole lines is left alone");
        assertArrayEquals(whole, Files.readAllBytes(f));

        Path noBreak = tmp.resolve("one.jsonl");
        Files.writeString(noBreak, "{\"step\": 1, \"lo");
        assertEquals(15, LineAppender.cutTornTail(noBreak));
        assertEquals(0, Files.size(noBreak));
        assertEquals(0, LineAppender.cutTornTail(tmp.resolve("absent.jsonl")));

        Path big = tmp.resolve("big.jsonl"); // the last line break lies more than one read block back
        byte[] longTail = "y".repeat(200_000).getBytes(StandardCharsets.UTF_8);
        Files.write(big, concat(whole, longTail));
        assertEquals(longTail.length, LineAppender.cutTornTail(big));
        assertArrayEquals(whole, Files.readAllBytes(big));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
