package dev.groupflow.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * A Hugging Face checkpoint directory: either one {@value #SINGLE_FILE} or shards listed by
 * {@value #INDEX_FILE}, presented as one set of named tensors.
 *
 * <p>Index layout: {@code {"metadata": {"total_size": bytes, ...}, "weight_map": {tensor name: shard file name}}}.
 * Opening an index checks, before any data is read, that every shard it names exists and has a valid header, that
 * every mapped tensor is present in its shard, and — strictly — that no shard holds a tensor the index does not map
 * to it (such a file is ambiguous or stale, so it is an error, not a warning). {@code metadata.total_size} is
 * exposed but not enforced (real checkpoints do not always agree on what it counts). Shard names must be plain file
 * names inside the directory. Files in the directory that the index does not mention are ignored.
 *
 * <p>All shards are kept open until {@link #close()}. Thread-safe for concurrent reads.
 */
public final class SafetensorsCheckpoint implements TensorReader {

    /** Name of a single-file checkpoint. Preferred when both it and the index exist (as transformers does). */
    public static final String SINGLE_FILE = "model.safetensors";
    /** Name of the shard index. */
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

    private final Path directory;
    private final Path indexFile;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> byTensor;
    private final List<String> names;
    private final OptionalLong totalSize;

    private SafetensorsCheckpoint(Path directory, Path indexFile, List<SafetensorsFile> files,
            Map<String, SafetensorsFile> byTensor, OptionalLong totalSize) {
        this.directory = directory;
        this.indexFile = indexFile;
        this.files = List.copyOf(files);
        this.byTensor = byTensor;
        List<String> sorted = new ArrayList<>(byTensor.keySet());
        sorted.sort(PyJson.NAME_ORDER);
        this.names = Collections.unmodifiableList(sorted);
        this.totalSize = totalSize;
    }

    /**
     * Opens a checkpoint. {@code path} is normally the model directory; a path to a {@code .safetensors} file or to
     * an index {@code .json} file is accepted too.
     *
     * @throws SafetensorsException naming the directory/file (and tensor) when anything is missing or malformed
     */
    public static SafetensorsCheckpoint open(Path path) {
        if (Files.isRegularFile(path)) {
            if (path.getFileName().toString().endsWith(".json")) {
                return openIndex(path.toAbsolutePath().getParent(), path);
            }
            SafetensorsFile f = SafetensorsFile.open(path);
            return single(path.toAbsolutePath().getParent(), f);
        }
        if (!Files.isDirectory(path)) {
            throw new SafetensorsException(path, null, "checkpoint directory does not exist");
        }
        Path single = path.resolve(SINGLE_FILE);
        if (Files.exists(single)) {
            return single(path, SafetensorsFile.open(single));
        }
        Path index = path.resolve(INDEX_FILE);
        if (Files.exists(index)) {
            return openIndex(path, index);
        }
        throw new SafetensorsException(path, null, "no safetensors weights in this directory: neither "
                + SINGLE_FILE + " nor " + INDEX_FILE + " exists");
    }

    private static SafetensorsCheckpoint single(Path dir, SafetensorsFile f) {
        Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        for (String n : f.names()) {
            byTensor.put(n, f);
        }
        return new SafetensorsCheckpoint(dir, null, List.of(f), byTensor, OptionalLong.empty());
    }

    private static SafetensorsCheckpoint openIndex(Path dir, Path index) {
        JsonNode root;
        try {
            root = MAPPER.readTree(Files.readAllBytes(index));
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(index, null, "index file does not exist", e);
        } catch (JsonProcessingException e) {
            throw new SafetensorsException(index, null, "index is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new SafetensorsException(index, null, "cannot read index: " + e, e);
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsException(index, null, "index must be a JSON object with a \"weight_map\"");
        }
        OptionalLong totalSize = OptionalLong.empty();
        JsonNode meta = root.get("metadata");
        if (meta != null && !meta.isNull()) {
            if (!meta.isObject()) {
                throw new SafetensorsException(index, null, "\"metadata\" must be a JSON object, found " + meta);
            }
            JsonNode ts = meta.get("total_size");
            if (ts != null && !ts.isNull()) {
                if (!ts.isNumber() || ts.asDouble() < 0 || ts.asDouble() != Math.floor(ts.asDouble())) {
                    throw new SafetensorsException(index, null, "\"metadata.total_size\" must be a non-negative"
                            + " integer, found " + ts);
                }
                totalSize = OptionalLong.of(ts.longValue());
            }
        }
        JsonNode wm = root.get("weight_map");
        if (wm == null || !wm.isObject()) {
            throw new SafetensorsException(index, null, "index has no \"weight_map\" object");
        }
        if (wm.isEmpty()) {
            throw new SafetensorsException(index, null, "\"weight_map\" is empty");
        }
        // shard file name -> tensor names mapped to it (sorted)
        Map<String, List<String>> byShard = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : wm.properties()) {
            JsonNode v = e.getValue();
            if (!v.isTextual() || v.textValue().isEmpty()) {
                throw new SafetensorsException(index, e.getKey(), "weight_map value must be a shard file name,"
                        + " found " + v);
            }
            byShard.computeIfAbsent(v.textValue(), k -> new ArrayList<>()).add(e.getKey());
        }
        for (List<String> l : byShard.values()) {
            l.sort(PyJson.NAME_ORDER);
        }

        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
            for (Map.Entry<String, List<String>> e : byShard.entrySet()) {
                String shardName = e.getKey();
                List<String> mapped = e.getValue();
                Path shard = resolveShard(dir, index, shardName, mapped.get(0));
                if (!Files.isRegularFile(shard)) {
                    throw new SafetensorsException(shard, mapped.get(0), "shard file " + shardName + " named in "
                            + index.getFileName() + " is missing (it should hold tensor '" + mapped.get(0) + "'"
                            + (mapped.size() > 1 ? " and " + (mapped.size() - 1) + " more" : "") + ")");
                }
                SafetensorsFile f = SafetensorsFile.open(shard);
                opened.add(f);
                for (String t : mapped) {
                    if (!f.contains(t)) {
                        throw new SafetensorsException(shard, t, "tensor is mapped to shard " + shardName + " by "
                                + index.getFileName() + ", but the shard does not contain it");
                    }
                    byTensor.put(t, f);
                }
                for (String t : f.names()) {
                    JsonNode mappedTo = wm.get(t);
                    if (mappedTo == null) {
                        throw new SafetensorsException(shard, t, "tensor is in shard " + shardName + " but not in"
                                + " the weight_map of " + index.getFileName() + " (stale or inconsistent index)");
                    }
                    if (!mappedTo.textValue().equals(shardName)) {
                        throw new SafetensorsException(shard, t, "tensor is in shard " + shardName + " but "
                                + index.getFileName() + " maps it to " + mappedTo.textValue()
                                + " (stale or inconsistent index)");
                    }
                }
            }
            return new SafetensorsCheckpoint(dir, index, opened, byTensor, totalSize);
        } catch (RuntimeException e) {
            opened.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    /** Shard names must be plain file names in the checkpoint directory (no paths, no escaping it). */
    private static Path resolveShard(Path dir, Path index, String shardName, String tensor) {
        if (shardName.contains("/") || shardName.contains("\\") || shardName.equals(".") || shardName.equals("..")
                || shardName.indexOf('\0') >= 0) {
            throw new SafetensorsException(index, tensor, "shard name \"" + shardName + "\" in weight_map is not a"
                    + " plain file name in the checkpoint directory");
        }
        return dir.resolve(shardName);
    }

    /** The checkpoint directory. */
    public Path directory() {
        return directory;
    }

    /** The index file, if this checkpoint is sharded. */
    public Optional<Path> indexFile() {
        return Optional.ofNullable(indexFile);
    }

    /** Whether the weights come from an index over several shard files. */
    public boolean isSharded() {
        return indexFile != null;
    }

    /** The weight files, in shard-name order. */
    public List<Path> files() {
        List<Path> out = new ArrayList<>();
        for (SafetensorsFile f : files) {
            out.add(f.path());
        }
        return out;
    }

    /** {@code metadata.total_size} from the index, if given (not validated; see class doc). */
    public OptionalLong declaredTotalSize() {
        return totalSize;
    }

    /** Sum of the stored byte sizes of all tensors. */
    public long totalBytes() {
        long sum = 0;
        for (String n : names) {
            sum += info(n).byteSize();
        }
        return sum;
    }

    @Override
    public List<String> names() {
        return names;
    }

    @Override
    public boolean contains(String name) {
        return byTensor.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        return file(name).info(name);
    }

    @Override
    public float[] readFloats(String name) {
        return file(name).readFloats(name);
    }

    @Override
    public void readInto(String name, FloatBuffer dst) {
        file(name).readInto(name, dst);
    }

    @Override
    public void readInto(String name, long firstElement, long count, ByteBuffer dst) {
        file(name).readInto(name, firstElement, count, dst);
    }

    @Override
    public void readRaw(String name, ByteBuffer dst) {
        file(name).readRaw(name, dst);
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }

    @Override
    public String toString() {
        return "SafetensorsCheckpoint[" + directory + ", " + files.size() + " file(s), " + names.size() + " tensors]";
    }

    private SafetensorsFile file(String name) {
        SafetensorsFile f = byTensor.get(name);
        if (f == null) {
            throw new SafetensorsException(directory, name, "no such tensor in this checkpoint (it has "
                    + names.size() + " tensors)");
        }
        return f;
    }
}
