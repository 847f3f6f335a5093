package dev.groupflow.metrics;

import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/**
 * Training progress on a console. <b>In place</b> (a terminal): one line, rewritten with a carriage return and
 * erase-to-end-of-line ({@code ESC [K}), cut to the terminal's width so it never wraps; {@link #guard()} wraps the
 * console stream for everyone else (log lines from other threads), clearing the progress line before their output
 * and drawing it again below once their line is complete. <b>Plain</b> (a log file, CI): each update is a line of
 * its own. Thread-safe.
 */
public final class ProgressLine {
    /** Erase from the cursor to the end of the line. */
    public static final String CLEAR = "\u001b[K";

    private final PrintStream out;
    private final boolean inPlace;
    private final long minIntervalNanos;
    private final int columns;
    private String current;
    private boolean drawn;
    private boolean othersMidLine;
    private long lastDraw = Long.MIN_VALUE;

    private ProgressLine(PrintStream out, boolean inPlace, Duration minInterval, int columns) {
        this.out = out;
        this.inPlace = inPlace;
        this.minIntervalNanos = minInterval.toNanos();
        this.columns = columns;
    }

    /** Whole lines, one per update. */
    public static ProgressLine plain(PrintStream out) {
        return new ProgressLine(out, false, Duration.ZERO, Integer.MAX_VALUE);
    }

    /**
     * One line updated in place, redrawn at most once per {@code minInterval} (the last update always), cut to
     * {@code columns - 1} characters.
     */
    public static ProgressLine inPlace(PrintStream out, Duration minInterval, int columns) {
        return new ProgressLine(out, true, minInterval, Math.max(20, columns));
    }

    /**
     * The progress line for {@code log.progress}: {@code tty} (in place), {@code plain}, or {@code auto} (in place
     * when the JVM has a console, i.e. {@code System.console() != null}).
     */
    public static ProgressLine forConsole(String mode, PrintStream out) {
        boolean tty = switch (mode.toLowerCase(Locale.ROOT)) {
            case "tty" -> true;
            case "plain" -> false;
            default -> System.console() != null;
        };
        return tty ? inPlace(out, Duration.ofMillis(100), TerminalWidth.columns()) : plain(out);
    }

    public boolean inPlace() {
        return inPlace;
    }

    /**
     * A progress update. In place it replaces the line (throttled; {@code last} is always drawn and then ended with
     * a newline, so later output starts below it); plain it is printed as a line.
     */
    public synchronized void update(String text, boolean last) {
        if (!inPlace) {
            out.println(text);
            out.flush();
            return;
        }
        current = text.length() >= columns ? text.substring(0, columns - 1) : text;
        long now = System.nanoTime();
        if (!last && lastDraw != Long.MIN_VALUE && now - lastDraw < minIntervalNanos) {
            return;
        }
        lastDraw = now;
        draw();
        if (last) {
            finish();
        }
    }

    /** A message on a line of its own; in place it appears above the progress line, which is drawn again below. */
    public synchronized void message(String text) {
        clear();
        out.println(text);
        if (inPlace && !othersMidLine) {
            draw();
        }
        out.flush();
    }

    /** Ends a progress line on screen with a newline and stops redrawing it (until the next update). */
    public synchronized void finish() {
        if (drawn) {
            out.println();
            out.flush();
        }
        drawn = false;
        current = null;
    }

    /**
     * A stream for other output to the same console (install it as {@code System.err}): in place, it clears the
     * progress line before their bytes and draws it again after each complete line of theirs. Plain, it passes
     * everything through.
     */
    public PrintStream guard() {
        return new PrintStream(new Guard(), true);
    }

    private void draw() {
        if (current == null || othersMidLine) {
            return;
        }
        out.print("\r" + current + CLEAR);
        out.flush();
        drawn = true;
    }

    private void clear() {
        if (drawn) {
            out.print("\r" + CLEAR);
            drawn = false;
        }
    }

    private final class Guard extends OutputStream {
        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            if (len <= 0) {
                return;
            }
            synchronized (ProgressLine.this) {
                clear();
                out.write(b, off, len);
                othersMidLine = b[off + len - 1] != '\n';
                draw();
                out.flush();
            }
        }

        @Override
        public void flush() {
            out.flush();
        }
    }
}
