package dev.groupflow.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Writes tensors as safetensors in exactly the Hugging Face layout: header JSON with {@code __metadata__} first
 * ({@code {"format":"pt"}} unless overridden), then tensors sorted by name, each
 * {@code {"dtype":..,"shape":[..],"data_offsets":[b,e]}}, compact separators, ASCII-escaped as Python's json.dumps,
 * padded with spaces to a multiple of 8 bytes; data packed back to back in the same order, little-endian.
 *
 * <p>Storage dtype F32 (default, bit-exact: NaN payloads and -0.0 survive), or BF16 / F16 rounded to nearest, ties to
 * even (see {@link FloatFormats}). A checkpoint whose tensor data exceeds {@link #withMaxShardBytes max shard bytes}
 * is split like transformers does: {@code model-00001-of-0000N.safetensors} filled greedily in name order (a tensor
 * larger than the maximum gets a shard of its own) plus {@code model.safetensors.index.json} with
 * {@code metadata.total_size} and the {@code weight_map} sorted by name.
 *
 * <p>Each file is written to a temporary file in the target directory, fsynced, then renamed over the target
 * (atomic where the file system allows) and the directory fsynced, so a crash never leaves a half-written file
 * under a final name. After a whole checkpoint is written, stale weight files of the other layout in the directory
 * ({@code model.safetensors}, the index, {@code model-*-of-*.safetensors} not part of this write) are deleted so
 * readers cannot pick them up. Instances are immutable; configure with the {@code with*} methods.
 */
public final class SafetensorsWriter {

    /** Transformers' default {@code max_shard_size="5GB"}. */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

    private static final Pattern SHARD_NAME = Pattern.compile("model-\\d{5}-of-\\d{5}\\.safetensors");
    private static final int CHUNK_BYTES = 1 << 20;

    private final Dtype dtype;
    private final long maxShardBytes;
    private final Map<String, String> metadata;

    /** F32, shards of at most {@link #DEFAULT_MAX_SHARD_BYTES}, metadata {@code {"format":"pt"}}. */
    public SafetensorsWriter() {
        this(Dtype.F32, DEFAULT_MAX_SHARD_BYTES, Map.of("format", "pt"));
    }

    private SafetensorsWriter(Dtype dtype, long maxShardBytes, Map<String, String> metadata) {
        this.dtype = dtype;
        this.maxShardBytes = maxShardBytes;
        this.metadata = metadata;
    }

    /** Default storage dtype for tensors whose spec sets none: F32, BF16 or F16. */
    public SafetensorsWriter withDtype(Dtype d) {
        checkWritable(d);
        return new SafetensorsWriter(d, maxShardBytes, metadata);
    }

    /** Maximum tensor-data bytes per shard (headers not counted, as in transformers). */
    public SafetensorsWriter withMaxShardBytes(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("max shard bytes must be positive, got " + bytes);
        }
        return new SafetensorsWriter(dtype, bytes, metadata);
    }

    /**
     * Extra {@code __metadata__} entries, added after {@code "format":"pt"} in the given iteration order
     * (a {@code "format"} key here replaces the default value).
     */
    public SafetensorsWriter withMetadata(Map<String, String> extra) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "pt");
        m.putAll(extra);
        return new SafetensorsWriter(dtype, maxShardBytes, Collections.unmodifiableMap(m));
    }

    /** The default storage dtype. */
    public Dtype dtype() {
        return dtype;
    }

    /** The maximum shard size in bytes. */
    public long maxShardBytes() {
        return maxShardBytes;
    }

    /**
     * What a checkpoint write produced.
     *
     * @param files      the weight files written, in order
     * @param indexFile  the index, when the checkpoint was sharded
     * @param totalBytes tensor data bytes over all files ({@code metadata.total_size})
     * @param weightMap  tensor name to file name, sorted by tensor name
     */
    public record WriteResult(List<Path> files, Optional<Path> indexFile, long totalBytes,
            Map<String, String> weightMap) {
    }

    /**
     * Writes a checkpoint into {@code dir} (created if needed): {@value SafetensorsCheckpoint#SINGLE_FILE} when
     * the data fits one shard, otherwise shards plus {@value SafetensorsCheckpoint#INDEX_FILE}.
     *
     * @param specs  the tensors (any order; written sorted by name); names must be unique
     * @param source called once per tensor, in writing order
     * @throws SafetensorsException naming the file and tensor when writing fails or the source supplies bad data
     */
    public WriteResult writeCheckpoint(Path dir, List<TensorSpec> specs, TensorDataSource source) {
        List<TensorSpec> sorted = sortedAndChecked(specs);
        List<List<TensorSpec>> shards = planShards(sorted);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new SafetensorsException(dir, null, "cannot create checkpoint directory: " + e, e);
        }
        List<Path> written = new ArrayList<>();
        Map<String, String> weightMap = new LinkedHashMap<>();
        long total = 0;
        if (shards.size() <= 1) {
            Path file = dir.resolve(SafetensorsCheckpoint.SINGLE_FILE);
            total = writeSorted(file, sorted, source);
            written.add(file);
            for (TensorSpec s : sorted) {
                weightMap.put(s.name(), file.getFileName().toString());
            }
        } else {
            int n = shards.size();
            Map<String, String> unsorted = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                Path file = dir.resolve(String.format("model-%05d-of-%05d.safetensors", i + 1, n));
                total += writeSorted(file, shards.get(i), source);
                written.add(file);
                for (TensorSpec s : shards.get(i)) {
                    unsorted.put(s.name(), file.getFileName().toString());
                }
            }
            for (TensorSpec s : sorted) {
                weightMap.put(s.name(), unsorted.get(s.name()));
            }
        }
        Path index = null;
        if (shards.size() > 1) {
            index = dir.resolve(SafetensorsCheckpoint.INDEX_FILE);
            byte[] json = indexJson(total, weightMap).getBytes(StandardCharsets.US_ASCII); // non-ASCII escaped
            writeAtomically(index, null, ch -> writeFully(ch, ByteBuffer.wrap(json)));
        }
        removeStale(dir, written, index);
        return new WriteResult(List.copyOf(written), Optional.ofNullable(index), total,
                Collections.unmodifiableMap(weightMap));
    }

    /** Convenience: writes in-memory arrays ({@code arrays.get(name)} for each spec) as a checkpoint. */
    public WriteResult writeCheckpoint(Path dir, List<TensorSpec> specs, Map<String, float[]> arrays) {
        return writeCheckpoint(dir, specs, TensorDataSource.ofArrays(arrays));
    }

    /**
     * Writes all tensors into one safetensors file at {@code file} (no sharding, no index).
     *
     * @return the tensor data bytes written
     */
    public long writeFile(Path file, List<TensorSpec> specs, TensorDataSource source) {
        Path parent = file.toAbsolutePath().getParent();
        try {
            Files.createDirectories(parent);
        } catch (IOException e) {
            throw new SafetensorsException(file, null, "cannot create directory " + parent + ": " + e, e);
        }
        return writeSorted(file, sortedAndChecked(specs), source);
    }

    // ---- planning ---------------------------------------------------------------------------------------------

    static void checkWritable(Dtype d) {
        if (d != Dtype.F32 && d != Dtype.BF16 && d != Dtype.F16) {
            throw new IllegalArgumentException("can only write F32, BF16 or F16 tensors, not " + d);
        }
    }

    private Dtype dtypeOf(TensorSpec s) {
        return s.dtype().orElse(dtype);
    }

    private long bytesOf(TensorSpec s) {
        try {
            return Math.multiplyExact(s.numElements(), dtypeOf(s).size());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor '" + s.name() + "': shape " + Arrays.toString(s.shape())
                    + " is too large");
        }
    }

    private List<TensorSpec> sortedAndChecked(List<TensorSpec> specs) {
        List<TensorSpec> sorted = new ArrayList<>(specs);
        sorted.sort((a, b) -> PyJson.NAME_ORDER.compare(a.name(), b.name()));
        Set<String> seen = new HashSet<>();
        for (TensorSpec s : sorted) {
            if (!seen.add(s.name())) {
                throw new IllegalArgumentException("tensor '" + s.name() + "' is listed more than once");
            }
            if (s.name().equals("__metadata__")) {
                throw new IllegalArgumentException("'__metadata__' is reserved and cannot be a tensor name");
            }
            bytesOf(s);
        }
        return sorted;
    }

    /** Greedy in name order: start a new shard when the next tensor would push the current one over the max. */
    private List<List<TensorSpec>> planShards(List<TensorSpec> sorted) {
        List<List<TensorSpec>> shards = new ArrayList<>();
        List<TensorSpec> current = new ArrayList<>();
        long currentBytes = 0;
        for (TensorSpec s : sorted) {
            long b = bytesOf(s);
            if (!current.isEmpty() && currentBytes + b > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(s);
            currentBytes += b;
        }
        if (!current.isEmpty()) {
            shards.add(current);
        }
        return shards;
    }

    // ---- encoding ----------------------------------------------------------------------------------------------

    /** The header bytes (JSON padded with spaces to a multiple of 8), without the 8-byte length. */
    byte[] headerBytes(List<TensorSpec> sorted) {
        StringBuilder sb = new StringBuilder("{");
        PyJson.quote(sb, "__metadata__").append(":{");
        boolean first = true;
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            PyJson.quote(sb, e.getKey()).append(':');
            PyJson.quote(sb, e.getValue());
        }
        sb.append('}');
        long offset = 0;
        for (TensorSpec s : sorted) {
            long b = bytesOf(s);
            sb.append(',');
            PyJson.quote(sb, s.name()).append(":{\"dtype\":\"").append(dtypeOf(s).name()).append("\",\"shape\":[");
            long[] shape = s.shape();
            for (int i = 0; i < shape.length; i++) {
                sb.append(i == 0 ? "" : ",").append(shape[i]);
            }
            sb.append("],\"data_offsets\":[").append(offset).append(',').append(offset + b).append("]}");
            offset += b;
        }
        sb.append('}');
        while (sb.length() % 8 != 0) {
            sb.append(' ');
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII); // all non-ASCII was escaped
    }

    private long writeSorted(Path file, List<TensorSpec> sorted, TensorDataSource source) {
        byte[] header = headerBytes(sorted);
        long[] total = {0};
        writeAtomically(file, null, ch -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            writeFully(ch, len);
            writeFully(ch, ByteBuffer.wrap(header));
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            float[] floats = new float[CHUNK_BYTES / 2];
            short[] shorts = new short[CHUNK_BYTES / 2];
            for (TensorSpec s : sorted) {
                writeTensor(ch, file, s, source, buf, floats, shorts);
                total[0] += bytesOf(s);
                source.written(s);
            }
        });
        return total[0];
    }

    private void writeTensor(FileChannel ch, Path file, TensorSpec s, TensorDataSource source, ByteBuffer buf,
            float[] floats, short[] shorts) throws IOException {
        FloatBuffer data;
        try {
            data = source.data(s);
        } catch (IOException e) {
            throw new SafetensorsException(file, s.name(), "the data source failed: " + e, e);
        }
        long numel = s.numElements();
        if (data == null) {
            throw new SafetensorsException(file, s.name(), "the data source supplied no data");
        }
        if (data.remaining() != numel) {
            throw new SafetensorsException(file, s.name(), "the data source supplied " + data.remaining()
                    + " floats but shape " + Arrays.toString(s.shape()) + " needs " + numel);
        }
        Dtype d = dtypeOf(s);
        FloatBuffer src = data.duplicate(); // keeps the byte order of a view buffer; caller's position untouched
        int chunkElems = CHUNK_BYTES / d.size();
        while (src.hasRemaining()) {
            int n = Math.min(chunkElems, src.remaining());
            buf.clear();
            if (d == Dtype.F32) {
                buf.asFloatBuffer().put(src.slice(src.position(), n)); // bulk copy (swap only if orders differ)
                src.position(src.position() + n);
            } else {
                src.get(floats, 0, n);
                if (d == Dtype.BF16) {
                    for (int i = 0; i < n; i++) {
                        shorts[i] = FloatFormats.floatToBf16(floats[i]);
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        shorts[i] = FloatFormats.floatToHalf(floats[i]);
                    }
                }
                ShortBuffer sb = buf.asShortBuffer();
                sb.put(shorts, 0, n);
            }
            buf.position(n * d.size()).flip();
            writeFully(ch, buf);
        }
    }

    private static String indexJson(long total, Map<String, String> weightMap) {
        // Same text as transformers: json.dumps(index, indent=2, sort_keys=True) + "\n".
        StringBuilder sb = new StringBuilder("{\n  \"metadata\": {\n    \"total_size\": ").append(total)
                .append("\n  },\n  \"weight_map\": {");
        boolean first = true;
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            sb.append(first ? "\n    " : ",\n    ");
            first = false;
            PyJson.quote(sb, e.getKey()).append(": ");
            PyJson.quote(sb, e.getValue());
        }
        sb.append(first ? "}" : "\n  }").append("\n}\n");
        return sb.toString();
    }

    // ---- files ---------------------------------------------------------------------------------------------------

    @FunctionalInterface
    private interface Body {
        void write(FileChannel ch) throws IOException;
    }

    /** Writes via a temp file in the same directory, fsyncs it, renames it over {@code target}, fsyncs the dir. */
    private static void writeAtomically(Path target, String tensor, Body body) {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + target.getFileName() + ".tmp-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                body.write(ch);
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
            fsyncDirectory(dir);
        } catch (IOException e) {
            throw new SafetensorsException(target, tensor, "cannot write file: " + e, e);
        } finally {
            if (!done) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    private static void fsyncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // Not supported everywhere (e.g. Windows); the file itself was already forced.
        }
    }

    /** Deletes weight files of the other layout / old shard files not written now. */
    private static void removeStale(Path dir, List<Path> written, Path index) {
        Set<Path> keep = new HashSet<>();
        for (Path p : written) {
            keep.add(p.getFileName());
        }
        if (index != null) {
            keep.add(index.getFileName());
        }
        List<Path> stale = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                boolean weightFile = n.equals(SafetensorsCheckpoint.SINGLE_FILE)
                        || n.equals(SafetensorsCheckpoint.INDEX_FILE) || SHARD_NAME.matcher(n).matches();
                if (weightFile && !keep.contains(p.getFileName())) {
                    stale.add(p);
                }
            }
            for (Path p : stale) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new SafetensorsException(dir, null, "checkpoint written, but cannot remove stale weight files "
                    + stale + ": " + e, e);
        }
    }
}
