package dev.groupflow.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed and validated header of one safetensors file.
 *
 * <p>File layout:
 * <pre>
 *   bytes [0, 8)          u64 little-endian N = header length
 *   bytes [8, 8+N)        UTF-8 JSON object, possibly padded with trailing spaces:
 *                         {"__metadata__": {str: str}, NAME: {"dtype": "F32", "shape": [d0, d1, ...],
 *                                                              "data_offsets": [begin, end]}, ...}
 *   bytes [8+N, EOF)      data buffer; each tensor occupies [8+N+begin, 8+N+end), little-endian, row-major
 * </pre>
 *
 * <p>Validation (each failure is a {@link SafetensorsException} naming the file and, where it applies, the tensor):
 * file of at least 8 bytes; N at most {@value #MAX_HEADER_BYTES} and within the file; header valid UTF-8 and a single
 * JSON object; no duplicate keys (tensor names, or keys inside an entry); every entry an object with a known
 * {@code dtype} string, a {@code shape} array of non-negative integers and {@code data_offsets} of exactly two
 * non-negative integers with begin &lt;= end; {@code end - begin == product(shape) * dtype size}; every range inside
 * the file; no two ranges overlapping. Lenient on purpose: gaps between tensors and unused trailing bytes are
 * accepted (the data is still unambiguous), unknown extra keys in an entry are ignored, and non-string
 * {@code __metadata__} values are kept as their JSON text.
 */
public final class SafetensorsHeader {

    /** Largest header accepted (same bound as the reference Rust implementation). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final ObjectMapper MAPPER = new ObjectMapper()
            // Duplicate keys inside an entry fail; duplicate top-level names are detected by parse() itself so
            // the error can name the tensor.
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

    private final Path file;
    private final long fileSize;
    private final long headerLength;
    private final Map<String, String> metadata;
    private final Map<String, TensorInfo> tensors; // sorted by name
    private final List<String> names;

    private SafetensorsHeader(Path file, long fileSize, long headerLength, Map<String, String> metadata,
            Map<String, TensorInfo> tensors) {
        this.file = file;
        this.fileSize = fileSize;
        this.headerLength = headerLength;
        this.metadata = Collections.unmodifiableMap(metadata);
        List<String> sorted = new ArrayList<>(tensors.keySet());
        sorted.sort(PyJson.NAME_ORDER);
        Map<String, TensorInfo> byName = new LinkedHashMap<>();
        for (String n : sorted) {
            byName.put(n, tensors.get(n));
        }
        this.tensors = Collections.unmodifiableMap(byName);
        this.names = Collections.unmodifiableList(sorted);
    }

    /** Reads and validates the header of {@code file} through an open channel (positional reads only). */
    public static SafetensorsHeader read(Path file, FileChannel channel) {
        long size;
        try {
            size = channel.size();
            if (size < 8) {
                throw new SafetensorsException(file, null, "file is only " + size
                        + " bytes; a safetensors file starts with an 8-byte header length (truncated or empty file)");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lenBuf, 0, file);
            long n = lenBuf.getLong(0); // u64; anything with the top bit set is absurd anyway
            if (n < 0 || n > MAX_HEADER_BYTES) {
                throw new SafetensorsException(file, null, "header length " + Long.toUnsignedString(n)
                        + " is absurd (more than " + MAX_HEADER_BYTES + " bytes); not a safetensors file?");
            }
            if (n > size - 8) {
                throw new SafetensorsException(file, null, "header length " + n + " is larger than the file: the file is "
                        + size + " bytes, leaving only " + (size - 8) + " bytes after the 8-byte length"
                        + " (truncated file or not a safetensors file)");
            }
            ByteBuffer json = ByteBuffer.allocate((int) n);
            readFully(channel, json, 8, file);
            return parse(file, json.array(), size);
        } catch (IOException e) {
            throw new SafetensorsException(file, null, "cannot read the header: " + e, e);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos, Path file) throws IOException {
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos);
            if (r < 0) {
                throw new SafetensorsException(file, null, "file ended while reading the header (truncated file)");
            }
            pos += r;
        }
    }

    /**
     * Parses and validates header bytes (the N bytes after the length prefix) for a file of {@code fileSize} bytes.
     */
    public static SafetensorsHeader parse(Path file, byte[] headerBytes, long fileSize) {
        long dataStart = 8L + headerBytes.length;
        String text = decodeUtf8(file, headerBytes);
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, TensorInfo> tensors = new HashMap<>();
        boolean sawMetadata = false;
        String current = null;
        try (JsonParser p = MAPPER.createParser(text)) {
            JsonToken t = p.nextToken();
            if (t != JsonToken.START_OBJECT) {
                throw new SafetensorsException(file, null, "header is not a JSON object (it starts with "
                        + describe(t) + ")");
            }
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                current = key;
                p.nextToken();
                if ("__metadata__".equals(key)) {
                    if (sawMetadata) {
                        throw new SafetensorsException(file, null, "duplicate \"__metadata__\" key in header");
                    }
                    sawMetadata = true;
                    readMetadata(file, p.readValueAsTree(), metadata);
                    continue;
                }
                if (tensors.containsKey(key)) {
                    throw new SafetensorsException(file, key, "duplicate tensor name in header (the name appears"
                            + " more than once; a JSON reader would silently keep only the last)");
                }
                JsonNode entry = p.readValueAsTree();
                tensors.put(key, parseEntry(file, key, entry, dataStart));
            }
            current = null;
            if (t != JsonToken.END_OBJECT) {
                throw new SafetensorsException(file, null, "header JSON object is malformed (found " + describe(t)
                        + " where a key was expected)");
            }
            JsonToken after = p.nextToken();
            if (after != null) {
                throw new SafetensorsException(file, null, "header has content after the JSON object ("
                        + describe(after) + "); only space padding is allowed");
            }
        } catch (JsonProcessingException e) {
            String msg = String.valueOf(e.getOriginalMessage());
            if (current != null && msg.startsWith("Duplicate field ")) {
                // FAIL_ON_READING_DUP_TREE_KEY: "Duplicate field 'dtype' for `ObjectNode`: ..."
                int q1 = msg.indexOf('\'');
                int q2 = msg.indexOf('\'', q1 + 1);
                String key = q1 >= 0 && q2 > q1 ? msg.substring(q1 + 1, q2) : "?";
                throw new SafetensorsException(file, current, "duplicate key \"" + key + "\" in the header entry", e);
            }
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new SafetensorsException(file, current, (current == null ? "header is not valid JSON"
                    : "header entry is invalid") + where + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new SafetensorsException(file, null, "cannot parse header: " + e, e);
        }
        checkRanges(file, tensors, fileSize, dataStart);
        return new SafetensorsHeader(file, fileSize, headerBytes.length, metadata, tensors);
    }

    private static String decodeUtf8(Path file, byte[] bytes) {
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length + 1);
        CoderResult r = dec.decode(in, out, true);
        if (!r.isError()) {
            r = dec.flush(out);
        }
        if (r.isError()) {
            throw new SafetensorsException(file, null, "header is not valid UTF-8 (bad byte sequence at header byte "
                    + in.position() + "); not a safetensors file?");
        }
        out.flip();
        return out.toString();
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> out) {
        if (!node.isObject()) {
            throw new SafetensorsException(file, null, "\"__metadata__\" must be a JSON object of strings, found "
                    + node.getNodeType());
        }
        node.properties().forEach(e -> out.put(e.getKey(),
                e.getValue().isTextual() ? e.getValue().textValue() : e.getValue().toString()));
    }

    private static TensorInfo parseEntry(Path file, String name, JsonNode entry, long dataStart) {
        if (!entry.isObject()) {
            throw new SafetensorsException(file, name, "header entry must be a JSON object with dtype, shape and"
                    + " data_offsets, found " + entry.getNodeType() + " " + abbreviate(entry));
        }
        JsonNode dtypeNode = required(file, name, entry, "dtype");
        if (!dtypeNode.isTextual()) {
            throw new SafetensorsException(file, name, "\"dtype\" must be a string, found " + abbreviate(dtypeNode));
        }
        Dtype dtype = Dtype.forName(dtypeNode.textValue()).orElseThrow(() -> new SafetensorsException(file, name,
                "unknown dtype \"" + dtypeNode.textValue() + "\" (known: " + Dtype.knownNames() + ")"));

        JsonNode shapeNode = required(file, name, entry, "shape");
        if (!shapeNode.isArray()) {
            throw new SafetensorsException(file, name, "\"shape\" must be an array of non-negative integers, found "
                    + abbreviate(shapeNode));
        }
        long[] shape = new long[shapeNode.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong()) {
                throw new SafetensorsException(file, name, "\"shape\" must be an array of non-negative integers,"
                        + " found " + abbreviate(shapeNode));
            }
            shape[i] = d.longValue();
            if (shape[i] < 0) {
                throw new SafetensorsException(file, name, "shape " + abbreviate(shapeNode) + " has a negative"
                        + " dimension " + shape[i] + " at index " + i);
            }
            try {
                numel = Math.multiplyExact(numel, shape[i]);
            } catch (ArithmeticException e) {
                throw new SafetensorsException(file, name, "shape " + abbreviate(shapeNode)
                        + " has more elements than fit in 64 bits");
            }
        }

        JsonNode offNode = required(file, name, entry, "data_offsets");
        if (!offNode.isArray() || offNode.size() != 2 || !isNonNegativeLong(offNode.get(0))
                || !isNonNegativeLong(offNode.get(1))) {
            throw new SafetensorsException(file, name, "\"data_offsets\" must be two non-negative integers"
                    + " [begin, end], found " + abbreviate(offNode));
        }
        long begin = offNode.get(0).longValue();
        long end = offNode.get(1).longValue();
        if (begin > end) {
            throw new SafetensorsException(file, name, "data_offsets [" + begin + ", " + end + "]: begin is after end");
        }
        long expected;
        try {
            expected = Math.multiplyExact(numel, dtype.size());
        } catch (ArithmeticException e) {
            throw new SafetensorsException(file, name, "shape " + Arrays.toString(shape) + " is too large");
        }
        if (end - begin != expected) {
            throw new SafetensorsException(file, name, "size mismatch: shape " + Arrays.toString(shape) + " with dtype "
                    + dtype + " needs " + expected + " bytes (" + numel + " elements x " + dtype.size()
                    + ") but data_offsets [" + begin + ", " + end + "] span " + (end - begin) + " bytes");
        }
        return new TensorInfo(name, dtype, shape, numel, begin, end, dataStart, file);
    }

    private static boolean isNonNegativeLong(JsonNode n) {
        return n.isIntegralNumber() && n.canConvertToLong() && n.longValue() >= 0;
    }

    private static JsonNode required(Path file, String name, JsonNode entry, String key) {
        JsonNode n = entry.get(key);
        if (n == null || n.isNull()) {
            throw new SafetensorsException(file, name, "header entry has no \"" + key + "\" (entry: "
                    + abbreviate(entry) + ")");
        }
        return n;
    }

    /** Every range must lie inside the data buffer and no two non-empty ranges may overlap. */
    private static void checkRanges(Path file, Map<String, TensorInfo> tensors, long fileSize, long dataStart) {
        long dataSize = fileSize - dataStart;
        List<TensorInfo> byBegin = new ArrayList<>(tensors.values());
        byBegin.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end)
                .thenComparing(TensorInfo::name));
        TensorInfo furthest = null;
        for (TensorInfo t : byBegin) {
            if (t.end() > dataSize) {
                throw new SafetensorsException(file, t.name(), "truncated file: the file is " + fileSize
                        + " bytes but tensor '" + t.name() + "' needs bytes up to " + (dataStart + t.end())
                        + " (data_offsets [" + t.begin() + ", " + t.end() + "] relative to the data buffer at byte "
                        + dataStart + ")");
            }
            if (t.byteSize() == 0) {
                continue; // an empty range occupies nothing
            }
            if (furthest != null && t.begin() < furthest.end()) {
                throw new SafetensorsException(file, t.name(), "tensors '" + furthest.name() + "' (data_offsets ["
                        + furthest.begin() + ", " + furthest.end() + "]) and '" + t.name() + "' (data_offsets ["
                        + t.begin() + ", " + t.end() + "]) overlap");
            }
            if (furthest == null || t.end() > furthest.end()) {
                furthest = t;
            }
        }
    }

    private static String describe(JsonToken t) {
        return t == null ? "end of input" : t.asString() != null ? "'" + t.asString() + "'" : t.name();
    }

    private static String abbreviate(JsonNode n) {
        String s = n.toString();
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    /** The file this header was read from. */
    public Path file() {
        return file;
    }

    /** Size of the whole file in bytes when the header was read. */
    public long fileSize() {
        return fileSize;
    }

    /** N, the JSON header length (including padding). */
    public long headerLength() {
        return headerLength;
    }

    /** Absolute file position of the data buffer: {@code 8 + N}. */
    public long dataStart() {
        return 8 + headerLength;
    }

    /** The {@code __metadata__} map (empty if absent), in header order. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Tensor names, sorted. */
    public List<String> names() {
        return names;
    }

    /** Tensor infos by name, iterated in sorted name order. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }
}
