package dev.groupflow.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.groupflow.safetensors.SafetensorsCheckpoint;
import dev.groupflow.safetensors.SafetensorsWriter;
import dev.groupflow.safetensors.TensorSpec;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each way a checkpoint can be wrong gives a ModelException naming tensor and file, never a crash. */
class BadCheckpointTest {
    private static NDManager manager;

    @TempDir
    Path tmp;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static Path fixture(String name) {
        return FixtureModels.directories().stream().filter(p -> p.getFileName().toString().equals(name)).findFirst()
                .orElseThrow();
    }

    /** Writes a copy of the F32 fixture after editing its tensors. */
    private Path rewritten(Consumer<Map<String, float[]>> edit, Map<String, long[]> shapes) throws IOException {
        Path src = fixture("tiny-qwen3");
        Map<String, float[]> tensors = new LinkedHashMap<>();
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(src)) {
            for (String n : ckpt.names()) {
                tensors.put(n, ckpt.readFloats(n));
                shapes.putIfAbsent(n, ckpt.shape(n));
            }
        }
        edit.accept(tensors);
        Path dir = tmp.resolve("model");
        Files.createDirectories(dir);
        Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
        List<TensorSpec> specs = new ArrayList<>();
        tensors.keySet().forEach(n -> specs.add(TensorSpec.of(n, shapes.get(n))));
        new SafetensorsWriter().writeCheckpoint(dir, specs, tensors);
        return dir;
    }

    private static ModelException assertRejected(Path dir, String... phrases) {
        ModelException e = assertThrows(ModelException.class, () -> HfCheckpoints.load(dir, manager).close());
        for (String p : phrases) {
            assertTrue(e.getMessage().contains(p), "\"" + p + "\" in: " + e.getMessage());
        }
        return e;
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        Path dir = rewritten(t -> t.remove("model.layers.1.mlp.up_proj.weight"), new LinkedHashMap<>());
        assertRejected(dir, "tensor 'model.layers.1.mlp.up_proj.weight' is missing", "[160, 64]");
    }

    @Test
    void extraTensorIsNamedWithItsFile() throws IOException {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("model.layers.3.mlp.up_proj.weight", new long[] {4});
        Path dir = rewritten(t -> t.put("model.layers.3.mlp.up_proj.weight", new float[4]), shapes);
        assertRejected(dir, "tensor 'model.layers.3.mlp.up_proj.weight' in model.safetensors is not part of");
    }

    @Test
    void shapeMismatchesAreAllListed() throws IOException {
        Path dir = rewritten(t -> { }, new LinkedHashMap<>());
        Path config = dir.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"intermediate_size\": 160",
                "\"intermediate_size\": 128"));
        ModelException e = assertRejected(dir, "tensor 'model.layers.0.mlp.down_proj.weight' in model.safetensors "
                + "has shape [64, 160] but config.json implies [64, 128]");
        // 3 layers × (gate, up, down)
        assertTrue(e.problems().size() == 9, e.problems().toString());
    }

    @Test
    void truncatedWeightFileNamesFileAndTensor() throws IOException {
        Path dir = rewritten(t -> { }, new LinkedHashMap<>());
        Path file = dir.resolve("model.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(f.length() - 1000);
        }
        ModelException e = assertRejected(dir, file.toString(), "truncated");
        assertTrue(e.getMessage().contains("'"), "names a tensor: " + e.getMessage());
    }

    @Test
    void headerWhoseOffsetsLieIsRejected() throws IOException {
        Path dir = rewritten(t -> { }, new LinkedHashMap<>());
        Path file = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        // make lm_head.weight claim the bytes of the tensor after it: same length, overlapping range
        int at = text.indexOf("\"lm_head.weight\"");
        int offsets = text.indexOf("\"data_offsets\":[", at) + "\"data_offsets\":[".length();
        int comma = text.indexOf(',', offsets);
        int end = text.indexOf(']', comma);
        long begin = Long.parseLong(text.substring(offsets, comma));
        long stop = Long.parseLong(text.substring(comma + 1, end));
        String lie = (begin + 4) + "," + (stop + 4);
        String original = text.substring(offsets, end);
        String padded = lie + " ".repeat(Math.max(0, original.length() - lie.length()));
        if (padded.length() != original.length()) {
            throw new IllegalStateException("cannot rewrite in place");
        }
        byte[] patched = (text.substring(0, offsets) + padded + text.substring(end)).getBytes(StandardCharsets.ISO_8859_1);
        Files.write(file, patched);
        assertRejected(dir, file.toString(), "'lm_head.weight'");
    }

    @Test
    void missingShardIsNamed() throws IOException {
        Path src = fixture("tiny-qwen3-bf16-sharded");
        Path dir = tmp.resolve("sharded");
        Files.createDirectories(dir);
        for (String f : List.of("config.json", "model.safetensors.index.json", "model-00001-of-00002.safetensors")) {
            Files.copy(src.resolve(f), dir.resolve(f));
        }
        assertRejected(dir, "model-00002-of-00002.safetensors");
    }

    @Test
    void directoryWithoutConfigIsNotAModel() {
        assertRejected(tmp, "config.json is missing");
    }

    @Test
    void unsupportedRopeScalingIsNamedBeforeWeightsAreRead() throws IOException {
        Path dir = rewritten(t -> { }, new LinkedHashMap<>());
        Path config = dir.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"hidden_act\"",
                "\"rope_scaling\": {\"type\": \"dynamic\", \"factor\": 2.0}, \"hidden_act\""));
        assertRejected(dir, config.toString(), "rope_scaling: type 'dynamic' is not supported");
    }
}
