package dev.groupflow.safetensors;

import java.nio.file.Path;

/**
 * A checkpoint file or directory could not be read or written: the content is malformed (bad header, bad offsets,
 * missing shard, ...), a tensor cannot be read the way it was asked for (integer dtype read as float, destination
 * too small), or the underlying I/O failed (then {@link #getCause()} is the {@link java.io.IOException}).
 *
 * <p>Unchecked on purpose: a broken checkpoint is not something a caller can recover from locally, and the model
 * loader should not have to thread {@code IOException} through every call. The message always names the file (or
 * directory) and, where one is involved, the tensor, and says what was wrong; both are also available as fields so
 * callers and tests do not have to parse the message.
 */
public class SafetensorsException extends RuntimeException {

    private final transient Path file;
    private final String tensor;

    /**
     * @param file   the file or directory concerned; may be null only when no file is involved
     * @param tensor the tensor concerned, or null
     * @param what   what was wrong, without the file/tensor prefix (added here)
     * @param cause  underlying exception, or null
     */
    public SafetensorsException(Path file, String tensor, String what, Throwable cause) {
        super(format(file, tensor, what), cause);
        this.file = file;
        this.tensor = tensor;
    }

    public SafetensorsException(Path file, String tensor, String what) {
        this(file, tensor, what, null);
    }

    /** The file (or checkpoint directory) the problem is in; null if none. */
    public Path file() {
        return file;
    }

    /** The tensor the problem is about; null when the problem is not about one tensor. */
    public String tensor() {
        return tensor;
    }

    private static String format(Path file, String tensor, String what) {
        StringBuilder sb = new StringBuilder();
        if (file != null) {
            sb.append(file);
        }
        if (tensor != null) {
            sb.append(sb.length() > 0 ? ": " : "").append("tensor '").append(tensor).append('\'');
        }
        if (sb.length() > 0) {
            sb.append(": ");
        }
        return sb.append(what).toString();
    }
}
