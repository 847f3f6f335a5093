package dev.groupflow.data;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.zip.CRC32C;

/**
 * Prompts from a JSONL file: one JSON object per line with {@code "prompt"} (text) or {@code "messages"} (a list
 * of {@code {"role", "content"}}), optionally {@code "answer"} (string or number), {@code "metadata"} (object),
 * {@code "guidance"} (a reference reasoning trace for guided rollouts: a non-empty string) and {@code "id"}. Blank
 * lines are ignored, and so is a UTF-8 byte order mark at the start of the file.
 *
 * <p>The file is scanned once to validate every row and remember where each valid row starts; rows are read back
 * one at a time when they are needed, so the prompts themselves are never all in memory. The scan decodes each row
 * exactly as a read does ({@link JsonlRow}: strict UTF-8, the same parser, the same checks), so a row it accepts
 * always reads back; it also keeps each row's CRC-32C, so that a read can tell a row changed on disk since (the
 * only reason it then fails, and then it says so) from anything else. Invalid rows are collected as
 * {@link BadRow}s with their line number and the field at fault. Each epoch visits every valid row once, in an
 * order shuffled by (seed, epoch) when {@code shuffle} is on.
 */
public final class JsonlPrompts implements PromptSource, AutoCloseable {
    private final Path file;
    private final long[] offsets;  // byte offset of each valid row
    private final int[] lengths;   // byte length of each valid row
    private final long[] lines;    // 1-based line number of each valid row
    private final int[] checksums; // CRC-32C of each valid row's bytes
    private final long scannedSize;
    private final long scannedModified;
    private final List<BadRow> badRows;
    private final long totalRows;
    private final int epochs;
    private final boolean shuffle;
    private final long seed;
    private final RandomAccessFile reader;
    private long permutationEpoch = -1;
    private int[] permutation;

    private JsonlPrompts(Path file, Index index, long scannedSize, long scannedModified, int epochs, boolean shuffle,
                         long seed) throws IOException {
        this.file = file;
        this.offsets = index.offsets.stream().mapToLong(Long::longValue).toArray();
        this.lengths = index.lengths.stream().mapToInt(Integer::intValue).toArray();
        this.lines = index.lines.stream().mapToLong(Long::longValue).toArray();
        this.checksums = index.checksums.stream().mapToInt(Integer::intValue).toArray();
        this.scannedSize = scannedSize;
        this.scannedModified = scannedModified;
        this.badRows = List.copyOf(index.bad);
        this.totalRows = index.rows;
        this.epochs = epochs;
        this.shuffle = shuffle;
        this.seed = seed;
        this.reader = new RandomAccessFile(file.toFile(), "r");
    }

    /** What the scan found: where each valid row is, and the bad rows. */
    private static final class Index {
        final List<Long> offsets = new ArrayList<>();
        final List<Integer> lengths = new ArrayList<>();
        final List<Long> lines = new ArrayList<>();
        final List<Integer> checksums = new ArrayList<>();
        final List<BadRow> bad = new ArrayList<>();
        long rows;
        final Function<Prompt, String> check;

        Index(Function<Prompt, String> check) {
            this.check = check;
        }

        /** Validates the row of line {@code lineNo} ({@code bytes} without the line break) at {@code offset}. */
        void row(Path file, byte[] bytes, long offset, long lineNo) {
            String text;
            try {
                text = JsonlRow.decode(bytes);
            } catch (JsonlRow.Invalid e) {
                rows++;
                bad.add(new BadRow(lineNo, e.getMessage(), new String(bytes, StandardCharsets.UTF_8),
                        Base64.getEncoder().encodeToString(bytes)));
                return;
            }
            if (text.isBlank()) {
                return;
            }
            rows++;
            String problem;
            try {
                problem = check.apply(JsonlRow.parse(bytes, defaultId(file, lineNo)));
            } catch (JsonlRow.Invalid e) {
                problem = e.getMessage();
            }
            if (problem != null) {
                bad.add(new BadRow(lineNo, problem, text));
                return;
            }
            offsets.add(offset);
            lengths.add(bytes.length);
            lines.add(lineNo);
            checksums.add(crc(bytes));
        }
    }

    /** Scans and validates the file. */
    public static JsonlPrompts open(Path file, int epochs, boolean shuffle, long seed) {
        return open(file, epochs, shuffle, seed, row -> null);
    }

    /**
     * Scans and validates the file, each well-formed row also by {@code check} (what its consumer needs of it, say a
     * digit-string answer): a row it finds a problem with (the reason, naming the field) is a bad row like a
     * malformed one.
     */
    public static JsonlPrompts open(Path file, int epochs, boolean shuffle, long seed,
                                    Function<Prompt, String> check) {
        try {
            long size = Files.size(file);
            long modified = Files.getLastModifiedTime(file).toMillis();
            Index index = new Index(check);
            try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
                ByteArrayOutputStream line = new ByteArrayOutputStream();
                long offset = 0;
                long lineStart = 0;
                long lineNo = 1;
                while (true) {
                    int b = in.read();
                    if (b == '\n' || b == -1) {
                        byte[] bytes = line.toByteArray();
                        int bom = lineStart == 0 && startsWithBom(bytes) ? BOM.length : 0;
                        index.row(file, bom == 0 ? bytes : Arrays.copyOfRange(bytes, bom, bytes.length),
                                lineStart + bom, lineNo);
                        if (b == -1) {
                            break;
                        }
                        line.reset();
                        offset++;
                        lineStart = offset;
                        lineNo++;
                    } else {
                        line.write(b);
                        offset++;
                    }
                }
            }
            return new JsonlPrompts(file, index, size, modified, epochs, shuffle, seed);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read prompts file " + file + ": " + e.getMessage(), e);
        }
    }

    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    private static boolean startsWithBom(byte[] bytes) {
        return bytes.length >= 3 && bytes[0] == BOM[0] && bytes[1] == BOM[1] && bytes[2] == BOM[2];
    }

    private static String defaultId(Path file, long line) {
        return file.getFileName() + ":" + line;
    }

    private static int crc(byte[] bytes) {
        CRC32C c = new CRC32C();
        c.update(bytes);
        return (int) c.getValue();
    }

    /** Valid rows. */
    public int size() {
        return offsets.length;
    }

    /** Non-blank lines, valid or not. */
    public long totalRows() {
        return totalRows;
    }

    public List<BadRow> badRows() {
        return badRows;
    }

    public Path file() {
        return file;
    }

    @Override
    public boolean exhausted(long n) {
        return offsets.length == 0 || (epochs > 0 && n >= (long) epochs * offsets.length);
    }

    @Override
    public synchronized Prompt at(long n) {
        if (exhausted(n)) {
            throw new IllegalArgumentException("prompt " + n + " is past the end of " + file);
        }
        long epoch = n / offsets.length;
        int i = (int) (n % offsets.length);
        int row = shuffle ? permutation(epoch)[i] : i;
        return read(row);
    }

    private int[] permutation(long epoch) {
        if (epoch != permutationEpoch) {
            int[] p = new int[offsets.length];
            for (int i = 0; i < p.length; i++) {
                p[i] = i;
            }
            SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
            for (int i = p.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
            permutation = p;
            permutationEpoch = epoch;
        }
        return permutation;
    }

    private Prompt read(int row) {
        String where = file + ":" + lines[row];
        byte[] bytes = new byte[lengths[row]];
        try {
            reader.seek(offsets[row]);
            reader.readFully(bytes);
        } catch (IOException e) {
            String change = change();
            throw new UncheckedIOException(where + ": cannot be read again: " + e.getMessage()
                    + (change == null ? "" : "; " + file + " has changed since the run started (" + change + ")"), e);
        }
        if (crc(bytes) != checksums[row]) {
            String change = change();
            throw new IllegalStateException(where + ": the row is no longer the one validated when the run started: "
                    + file + " was changed while the run uses it (" + (change == null
                    ? "same size and modification time, other bytes" : change) + "); restore it, or start a new run");
        }
        try {
            return JsonlRow.parse(bytes, defaultId(file, lines[row]));
        } catch (JsonlRow.Invalid e) {
            // the same bytes passed the same decoding when the run started: only a CRC collision gets here
            String change = change();
            throw new IllegalStateException(where + ": the row no longer reads as it did when the run started ("
                    + e.getMessage() + ")" + (change == null ? "" : "; " + file + " has changed (" + change + ")"));
        }
    }

    /** How the file differs in size or modification time from when it was scanned; null when it does not. */
    private String change() {
        try {
            long size = Files.size(file);
            long modified = Files.getLastModifiedTime(file).toMillis();
            if (size == scannedSize && modified == scannedModified) {
                return null;
            }
            return scannedSize + " bytes then, " + size + " now; modified " + Instant.ofEpochMilli(scannedModified)
                    + " then, " + Instant.ofEpochMilli(modified) + " now";
        } catch (IOException e) {
            return "it can no longer be read: " + e.getMessage();
        }
    }

    @Override
    public String describe() {
        return file + " (" + offsets.length + " prompts" + (badRows.isEmpty() ? "" : ", " + badRows.size() + " bad rows")
                + (epochs > 0 ? ", " + epochs + " epoch(s)" : ", endless") + (shuffle ? ", shuffled" : "") + ")";
    }

    @Override
    public void close() {
        try {
            reader.close();
        } catch (IOException ignored) {
            // closing a read-only file
        }
    }
}
