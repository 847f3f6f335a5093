package dev.groupflow.metrics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A file of lines that a run appends to ({@code metrics.jsonl}, {@code completions.jsonl}, {@code ledger.jsonl},
 * {@code eval.jsonl}), kept so that it always ends with a whole line: each line and its line break go to the file
 * in one write, and a write that fails part way (a full disk, a file size limit) is cut back to where the file
 * ended before it. What a crash in the middle of a write still leaves behind, {@link #cutTornTail} removes when the
 * run starts again. Thread-safe.
 */
public final class LineAppender implements AutoCloseable {
    private final Path file;
    private final FileChannel channel;

    /** Opens (creating it when absent) {@code file} for appending. */
    public LineAppender(Path file) {
        this.file = file;
        try {
            this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + file + ": " + reason(e), e);
        }
    }

    public Path file() {
        return file;
    }

    /**
     * Appends {@code line} (which must hold no line break) and a line break. A failed write leaves the file as it was
     * and throws, saying why and that the partial line was removed.
     */
    public synchronized void append(String line) {
        ByteBuffer bytes = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        long end = -1;
        try {
            end = channel.size();
            while (bytes.hasRemaining()) {
                channel.write(bytes); // one write for the whole line; more only if the system wrote part of it
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + reason(e) + cutBack(end), e);
        }
    }

    /** Cuts the file back to {@code end} bytes after a failed write; says what became of the partial line. */
    private String cutBack(long end) {
        try {
            if (end < 0 || channel.size() <= end) {
                return " (nothing of the line was written)";
            }
            channel.truncate(end);
            return " (the part of the line that was written has been removed)";
        } catch (IOException e) {
            return " (the part of the line that was written could not be removed: " + reason(e)
                    + "; it is cut when the run starts again)";
        }
    }

    /**
     * Removes a last line without its line break (what a process killed in the middle of a write leaves) from
     * {@code file}; returns how many bytes were cut (0 when the file ends with a whole line, is empty or absent).
     */
    public static long cutTornTail(Path file) {
        if (!Files.isRegularFile(file)) {
            return 0;
        }
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = c.size();
            long keep = size;
            ByteBuffer block = ByteBuffer.allocate(1 << 16);
            search:
            while (keep > 0) {
                int n = (int) Math.min(block.capacity(), keep);
                block.clear().limit(n);
                long from = keep - n;
                while (block.hasRemaining()) {
                    if (c.read(block, from + block.position()) < 0) {
                        throw new IOException("the file ended while it was read");
                    }
                }
                for (int i = n - 1; i >= 0; i--) {
                    if (block.get(i) == '\n') {
                        keep = from + i + 1;
                        break search;
                    }
                }
                keep = from;
            }
            if (keep < size) {
                c.truncate(keep);
                c.force(true);
            }
            return size - keep;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot repair " + file + ": " + reason(e), e);
        }
    }

    /**
     * An I/O error in words: the system's reason ({@code "No space left on device"}), or, for the errors that carry
     * only a file name ({@code FileAlreadyExistsException: /run/checkpoints}), the kind of error and the file.
     */
    public static String reason(IOException e) {
        if (e instanceof FileSystemException f && f.getReason() == null) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        return String.valueOf(e.getMessage());
    }

    @Override
    public synchronized void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing is buffered: every line was written when it was appended
        }
    }
}
