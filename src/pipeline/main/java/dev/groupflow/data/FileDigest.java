package dev.groupflow.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicReference;

/** SHA-256 of a file's bytes, read in blocks (prompts files can be large). */
public final class FileDigest {
    /** The name of the file in a checkpoint that records the digest of the run's prompts file. */
    public static final String PROMPTS_FILE = "prompts.sha256";

    /** The last file hashed by {@link #sha256Remembered}, so the resume check and the run read a prompts file once. */
    private static final AtomicReference<Memo> LAST =
            new AtomicReference<>();

    private record Memo(Path file, long size, long modified, String digest) {
    }

    private FileDigest() {
    }

    /** SHA-256 of the file's bytes, read now. */
    public static String sha256(Path file) {
        return compute(file);
    }

    /**
     * As {@link #sha256}, but the same file, unchanged in size and modification time since the last call, is not read
     * again (for a prompts file of many gigabytes; never for integrity checks, which must read what is there).
     */
    public static String sha256Remembered(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        long size;
        long modified;
        try {
            size = Files.size(abs);
            modified = Files.getLastModifiedTime(abs).toMillis();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        Memo m = LAST.get();
        if (m != null && m.file().equals(abs) && m.size() == size && m.modified() == modified) {
            return m.digest();
        }
        String digest = compute(file);
        LAST.set(new Memo(abs, size, modified, digest));
        return digest;
    }

    private static String compute(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] block = new byte[1 << 16];
            for (int n; (n = in.read(block)) > 0; ) {
                md.update(block, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Records {@code digest} of {@code file} in a checkpoint directory, as {@code sha256sum} writes it. */
    public static void record(Path checkpoint, String digest, Path file) {
        try {
            Files.writeString(checkpoint.resolve(PROMPTS_FILE), digest + "  " + file.getFileName() + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + checkpoint.resolve(PROMPTS_FILE) + ": " + e.getMessage(), e);
        }
    }

    /** The digest recorded in a checkpoint ({@code sha256sum} format: "HEX  NAME"), or null when there is none. */
    public static String recorded(Path checkpoint) {
        Path f = checkpoint.resolve(PROMPTS_FILE);
        if (!Files.isRegularFile(f)) {
            return null;
        }
        try {
            String text = Files.readString(f).trim();
            return text.isEmpty() ? null : text.split("\\s+")[0];
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }
}
