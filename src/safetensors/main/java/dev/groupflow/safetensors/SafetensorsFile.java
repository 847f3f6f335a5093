package dev.groupflow.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One open {@code .safetensors} file: validated header plus positional reads of tensor data.
 *
 * <p>The header is read and fully validated by {@link #open(Path)} (see {@link SafetensorsHeader}); tensor data is
 * read on demand with positional {@link FileChannel} reads in chunks of {@value #CHUNK_BYTES} bytes, so neither the
 * file nor a whole tensor is ever held twice in memory, all positions are {@code long} (files over 2 GB work), and no
 * memory mapping outlives the file. Conversion is done a chunk at a time with bulk buffer operations. Ranged reads into
 * a byte buffer ({@link #readInto(String, long, long, ByteBuffer)}, how models load) map the range's bytes, widen
 * them straight into the caller's buffer and unmap them at once ({@link MappedRange}).
 *
 * <p>Thread-safe: concurrent reads are fine. If a reading thread is interrupted, Java closes the channel; the read
 * fails with a {@link SafetensorsException} and the next read transparently reopens the file.
 */
public final class SafetensorsFile implements TensorReader {

    static final int CHUNK_BYTES = 1 << 20;
    private static final boolean NATIVE_LE = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private final Path path;
    private final SafetensorsHeader header;
    private volatile FileChannel channel;
    private volatile boolean closed;

    private SafetensorsFile(Path path, FileChannel channel, SafetensorsHeader header) {
        this.path = path;
        this.channel = channel;
        this.header = header;
    }

    /**
     * Opens a safetensors file and validates its header.
     *
     * @throws SafetensorsException if the file is missing, unreadable or malformed (the message says what is wrong)
     */
    public static SafetensorsFile open(Path path) {
        if (Files.isDirectory(path)) {
            throw new SafetensorsException(path, null, "is a directory, not a .safetensors file"
                    + " (use SafetensorsCheckpoint.open for a checkpoint directory)");
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(path, null, "file does not exist", e);
        } catch (IOException e) {
            throw new SafetensorsException(path, null, "cannot open file: " + e, e);
        }
        try {
            return new SafetensorsFile(path, ch, SafetensorsHeader.read(path, ch));
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    /** The file path as given to {@link #open(Path)}. */
    public Path path() {
        return path;
    }

    /** The validated header. */
    public SafetensorsHeader header() {
        return header;
    }

    /** The {@code __metadata__} map (empty if absent). */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    @Override
    public List<String> names() {
        return header.names();
    }

    @Override
    public boolean contains(String name) {
        return header.tensors().containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        TensorInfo t = header.tensors().get(name);
        if (t == null) {
            throw new SafetensorsException(path, name, "no such tensor in this file");
        }
        return t;
    }

    @Override
    public float[] readFloats(String name) {
        TensorInfo t = info(name);
        checkFloatReadable(t);
        if (t.numElements() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(path + ": tensor '" + name + "' has " + t.numElements()
                    + " elements, too many for a float[]; read it in pieces with readInto(name, first, count, dst)");
        }
        float[] out = new float[(int) t.numElements()];
        decode(t, 0, t.numElements(), (chunk, n, done) -> System.arraycopy(chunk, 0, out, (int) done, n));
        return out;
    }

    @Override
    public void readInto(String name, FloatBuffer dst) {
        TensorInfo t = info(name);
        checkFloatReadable(t);
        checkDestination(t, dst.isReadOnly(), dst.remaining(), t.numElements(), "floats");
        decode(t, 0, t.numElements(), (chunk, n, done) -> dst.put(chunk, 0, n));
    }

    @Override
    public void readInto(String name, long firstElement, long count, ByteBuffer dst) {
        TensorInfo t = info(name);
        checkFloatReadable(t);
        if (firstElement < 0 || count < 0 || firstElement > t.numElements() - count) {
            throw new IllegalArgumentException(path + ": tensor '" + name + "': element range [" + firstElement
                    + ", " + firstElement + " + " + count + ") is outside the tensor's " + t.numElements()
                    + " elements");
        }
        if (count > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException(path + ": tensor '" + name + "': " + count
                    + " elements do not fit one ByteBuffer; read fewer at a time");
        }
        int bytes = (int) count * 4;
        checkDestination(t, dst.isReadOnly(), dst.remaining(), bytes, "bytes");
        int start = dst.position();
        if (MappedRange.AVAILABLE && count > 0) {
            // map the stored range, widen it into the destination, unmap: nothing held beyond this chunk
            readMapped(t, firstElement, (int) count, dst);
        } else if (t.dtype() == Dtype.F32 && NATIVE_LE) {
            // Stored bytes are already little-endian F32: read them straight into the destination.
            ByteBuffer target = dst.duplicate();
            target.limit(start + bytes);
            readFully(t, target, t.filePosition() + firstElement * 4);
        } else {
            // slice() starts at dst's position and resets the order, so set native order explicitly.
            FloatBuffer floats = dst.slice().order(ByteOrder.nativeOrder()).asFloatBuffer();
            decode(t, firstElement, count, (chunk, n, done) -> floats.put(chunk, 0, n));
        }
        dst.position(start + bytes);
    }

    @Override
    public void readRaw(String name, ByteBuffer dst) {
        TensorInfo t = info(name);
        if (t.byteSize() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(path + ": tensor '" + name + "' is " + t.byteSize()
                    + " bytes, too large for one ByteBuffer");
        }
        int bytes = (int) t.byteSize();
        checkDestination(t, dst.isReadOnly(), dst.remaining(), bytes, "bytes");
        int start = dst.position();
        ByteBuffer target = dst.duplicate();
        target.limit(start + bytes);
        readFully(t, target, t.filePosition());
        dst.position(start + bytes);
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(channel);
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + header.names().size() + " tensors]";
    }

    // ---- internals ------------------------------------------------------------------------------------------

    /** Receives decoded floats: {@code chunk[0, n)} are elements {@code [done, done + n)} of the requested range. */
    @FunctionalInterface
    private interface ChunkSink {
        void accept(float[] chunk, int n, long done);
    }

    private void checkFloatReadable(TensorInfo t) {
        if (!t.dtype().isFloatReadable()) {
            throw new SafetensorsException(path, t.name(), "has dtype " + t.dtype()
                    + ", which cannot be read as float (only F32, F16, BF16 and F64 can)");
        }
    }

    private void checkDestination(TensorInfo t, boolean readOnly, long remaining, long needed, String unit) {
        if (readOnly) {
            throw new IllegalArgumentException(path + ": tensor '" + t.name() + "': destination buffer is read-only");
        }
        if (remaining < needed) {
            throw new IllegalArgumentException(path + ": tensor '" + t.name() + "': destination has room for "
                    + remaining + " " + unit + " but " + needed + " are needed (shape "
                    + Arrays.toString(t.shape()) + ")");
        }
    }

    /** Reads elements {@code [first, first + count)} chunk by chunk and hands them to {@code sink} as floats. */
    private void decode(TensorInfo t, long first, long count, ChunkSink sink) {
        int esize = t.dtype().size();
        int chunkElems = (int) Math.min(CHUNK_BYTES / esize, Math.max(count, 1));
        ByteBuffer raw = ByteBuffer.allocate(chunkElems * esize).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[chunkElems];
        short[] shorts = esize == 2 ? new short[chunkElems] : null;
        double[] doubles = t.dtype() == Dtype.F64 ? new double[chunkElems] : null;
        long done = 0;
        while (done < count) {
            int n = (int) Math.min(chunkElems, count - done);
            raw.clear().limit(n * esize);
            readFully(t, raw, t.filePosition() + (first + done) * esize);
            raw.flip();
            switch (t.dtype()) {
                case F32:
                    raw.asFloatBuffer().get(out, 0, n);
                    break;
                case BF16: {
                    ShortBuffer sb = raw.asShortBuffer();
                    sb.get(shorts, 0, n);
                    for (int i = 0; i < n; i++) {
                        out[i] = Float.intBitsToFloat((shorts[i] & 0xFFFF) << 16);
                    }
                    break;
                }
                case F16: {
                    raw.asShortBuffer().get(shorts, 0, n);
                    float[] table = FloatFormats.HalfTable.TABLE;
                    for (int i = 0; i < n; i++) {
                        out[i] = table[shorts[i] & 0xFFFF];
                    }
                    break;
                }
                case F64:
                    raw.asDoubleBuffer().get(doubles, 0, n);
                    for (int i = 0; i < n; i++) {
                        out[i] = (float) doubles[i];
                    }
                    break;
                default:
                    throw new IllegalStateException("unreachable: " + t.dtype());
            }
            sink.accept(out, n, done);
            done += n;
        }
    }

    /** Widens elements {@code [first, first + count)} into {@code dst} through a memory mapping of their bytes. */
    private void readMapped(TensorInfo t, long first, int count, ByteBuffer dst) {
        long pos = t.filePosition() + first * t.dtype().size();
        long end = pos + (long) count * t.dtype().size();
        withChannel(t, ch -> {
            if (ch.size() < end) {
                throw truncated(t, ch.size());
            }
            MappedRange.widen(ch, pos, t.dtype(), count, dst);
        });
    }

    /** Fills {@code buf} from {@code pos}; errors name the file and tensor. */
    private void readFully(TensorInfo t, ByteBuffer buf, long pos) {
        withChannel(t, ch -> {
            long at = pos;
            while (buf.hasRemaining()) {
                int r = ch.read(buf, at);
                if (r < 0) {
                    throw truncated(t, at);
                }
                at += r;
            }
        });
    }

    /** A read of the file's channel. */
    @FunctionalInterface
    private interface ChannelRead {
        void run(FileChannel ch) throws IOException;
    }

    /** Runs a read on the open channel; I/O errors and interrupts become errors naming the file and tensor. */
    private void withChannel(TensorInfo t, ChannelRead read) {
        try {
            read.run(channel());
        } catch (ClosedByInterruptException e) {
            throw new SafetensorsException(path, t.name(), "interrupted while reading the tensor", e);
        } catch (IOException e) {
            if (closed) {
                throw new IllegalStateException(path + " is closed", e);
            }
            throw new SafetensorsException(path, t.name(), "I/O error while reading the tensor: " + e, e);
        }
    }

    private SafetensorsException truncated(TensorInfo t, long at) {
        return new SafetensorsException(path, t.name(), "file ended at byte " + at + " while reading the tensor"
                + " (data_offsets [" + t.begin() + ", " + t.end() + "]); was the file truncated after it was opened?");
    }

    /** The open channel, reopened if an interrupt closed it (but not after {@link #close()}). */
    private FileChannel channel() throws IOException {
        FileChannel ch = channel;
        if (ch.isOpen()) {
            return ch;
        }
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException(path + " is closed");
            }
            if (!channel.isOpen()) {
                FileChannel reopened = FileChannel.open(path, StandardOpenOption.READ);
                if (reopened.size() != header.fileSize()) {
                    closeQuietly(reopened);
                    throw new SafetensorsException(path, null, "file changed since it was opened (was "
                            + header.fileSize() + " bytes, now " + reopened.size() + ")");
                }
                channel = reopened;
            }
            return channel;
        }
    }

    /** {@code 4 * numElements} when that fits one Java buffer, else {@link IllegalArgumentException}. */
    static long floatBytesForOneBuffer(TensorInfo t) {
        if (t.numElements() > (Integer.MAX_VALUE - 8) / 4) {
            throw new IllegalArgumentException(t.file() + ": tensor '" + t.name() + "' has " + t.numElements()
                    + " elements, too many for one Java buffer; read it in pieces with"
                    + " readInto(name, firstElement, count, dst)");
        }
        return t.numElements() * 4;
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing useful to do
        }
    }
}
