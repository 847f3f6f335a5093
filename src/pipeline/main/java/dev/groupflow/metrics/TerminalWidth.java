package dev.groupflow.metrics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** The width of the terminal in characters: {@code COLUMNS}, else {@code stty size} on /dev/tty, else 80. */
final class TerminalWidth {
    static final int FALLBACK = 80;

    private TerminalWidth() {
    }

    static int columns() {
        Integer env = positive(System.getenv("COLUMNS"));
        return env != null ? env : stty();
    }

    private static int stty() {
        try {
            Process p = new ProcessBuilder("sh", "-c", "stty size < /dev/tty").redirectErrorStream(false).start();
            if (!p.waitFor(1, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return FALLBACK;
            }
            String[] rowsCols = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim()
                    .split("\\s+");
            Integer cols = rowsCols.length == 2 ? positive(rowsCols[1]) : null;
            return cols != null ? cols : FALLBACK;
        } catch (IOException e) {
            return FALLBACK;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return FALLBACK;
        }
    }

    private static Integer positive(String s) {
        try {
            int v = s == null ? 0 : Integer.parseInt(s.trim());
            return v > 0 ? v : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
