package dev.groupflow.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Reads the two fixture checkpoints (F32 single file; BF16 in two shards) and checks names, shapes and values. */
class FixtureCheckpointTest {

    /** HF tensor name to shape, computed from config.json the way transformers lays out a Qwen3 model. */
    private static Map<String, long[]> expectedQwen3Shapes(Path dir) throws IOException {
        JsonNode c = Fixtures.JSON.readTree(Files.readAllBytes(dir.resolve("config.json")));
        long v = c.get("vocab_size").asLong();
        long e = c.get("hidden_size").asLong();
        long i = c.get("intermediate_size").asLong();
        long h = c.get("num_attention_heads").asLong();
        long kv = c.get("num_key_value_heads").asLong();
        long d = c.get("head_dim").asLong();
        int layers = c.get("num_hidden_layers").asInt();
        // The numbers the fixtures were generated with; if config.json changes, this test must be revisited.
        assertArrayEquals(new long[] {384, 64, 160, 4, 2, 24, 3}, new long[] {v, e, i, h, kv, d, layers});
        assertFalse(c.get("tie_word_embeddings").asBoolean());

        Map<String, long[]> m = new TreeMap<>();
        m.put("model.embed_tokens.weight", new long[] {v, e});
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            m.put(p + "input_layernorm.weight", new long[] {e});
            m.put(p + "post_attention_layernorm.weight", new long[] {e});
            m.put(p + "self_attn.q_proj.weight", new long[] {h * d, e});
            m.put(p + "self_attn.k_proj.weight", new long[] {kv * d, e});
            m.put(p + "self_attn.v_proj.weight", new long[] {kv * d, e});
            m.put(p + "self_attn.o_proj.weight", new long[] {e, h * d});
            m.put(p + "self_attn.q_norm.weight", new long[] {d});
            m.put(p + "self_attn.k_norm.weight", new long[] {d});
            m.put(p + "mlp.gate_proj.weight", new long[] {i, e});
            m.put(p + "mlp.up_proj.weight", new long[] {i, e});
            m.put(p + "mlp.down_proj.weight", new long[] {e, i});
        }
        m.put("model.norm.weight", new long[] {e});
        m.put("lm_head.weight", new long[] {v, e});
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {Fixtures.F32_MODEL, Fixtures.BF16_SHARDED_MODEL})
    void fixtureHasExactlyTheQwen3TensorNamesWithConfigShapes(String model) throws IOException {
        Path dir = Fixtures.model(model);
        Map<String, long[]> expected = expectedQwen3Shapes(dir);
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
            assertEquals(new ArrayList<>(expected.keySet()), ckpt.names());
            assertEquals(3 * 11 + 3, ckpt.names().size());
            for (Map.Entry<String, long[]> e : expected.entrySet()) {
                TensorInfo t = ckpt.info(e.getKey());
                assertArrayEquals(e.getValue(), t.shape(), e.getKey());
                assertArrayEquals(e.getValue(), ckpt.shape(e.getKey()), e.getKey());
                assertEquals(t.numElements() * t.dtype().size(), t.byteSize());
                assertTrue(ckpt.files().contains(t.file()), t + " lives in one of " + ckpt.files());
            }
        }
    }

    @Test
    void f32FixtureIsASingleFileWithPtMetadataAndValuesMatchingTheRawBytes() {
        Path dir = Fixtures.model(Fixtures.F32_MODEL);
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
            assertFalse(ckpt.isSharded());
            assertEquals(List.of(dir.resolve("model.safetensors")), ckpt.files());
            try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
                assertEquals(Map.of("format", "pt"), f.metadata());
                assertEquals(0, f.header().headerLength() % 8, "HF pads the header to 8 bytes");
            }
            for (String name : ckpt.names()) {
                TensorInfo t = ckpt.info(name);
                assertEquals(Dtype.F32, t.dtype());
                ByteBuffer raw = ByteBuffer.allocate((int) t.byteSize());
                ckpt.readRaw(name, raw);
                raw.flip().order(ByteOrder.LITTLE_ENDIAN);
                float[] values = ckpt.readFloats(name);
                assertEquals(t.numElements(), values.length);
                for (int i = 0; i < values.length; i++) {
                    assertEquals(raw.getInt(4 * i), Float.floatToRawIntBits(values[i]), name + "[" + i + "]");
                }
            }
        }
    }

    @Test
    void bf16ShardedFixtureWidensExactlySoEveryFloatHasZeroLow16Bits() {
        Path dir = Fixtures.model(Fixtures.BF16_SHARDED_MODEL);
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
            assertTrue(ckpt.isSharded());
            assertEquals(List.of(dir.resolve("model-00001-of-00002.safetensors"),
                    dir.resolve("model-00002-of-00002.safetensors")), ckpt.files());
            assertEquals(ckpt.totalBytes(), ckpt.declaredTotalSize().orElseThrow());
            int nonZero = 0;
            for (String name : ckpt.names()) {
                TensorInfo t = ckpt.info(name);
                assertEquals(Dtype.BF16, t.dtype());
                ByteBuffer raw = ByteBuffer.allocate((int) t.byteSize());
                ckpt.readRaw(name, raw);
                raw.flip().order(ByteOrder.LITTLE_ENDIAN);
                float[] values = ckpt.readFloats(name);
                for (int i = 0; i < values.length; i++) {
                    int bits = Float.floatToRawIntBits(values[i]);
                    assertEquals(0, bits & 0xFFFF, name + "[" + i + "] low bits");
                    assertEquals(raw.getShort(2 * i) & 0xFFFF, bits >>> 16, name + "[" + i + "] high bits");
                    if (values[i] != 0) {
                        nonZero++;
                    }
                }
            }
            assertTrue(nonZero > 100_000, "weights are random, almost none zero: " + nonZero);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {Fixtures.F32_MODEL, Fixtures.BF16_SHARDED_MODEL})
    void fixtureValuesLookLikeTheReferenceInitialisation(String model) {
        // Reference init: projections ~ N(0, 0.08^2), norm weights ~ 1 + N(0, 0.1^2). A wrong byte order or offset
        // would produce values nowhere near these statistics.
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(Fixtures.model(model))) {
            float[] q = ckpt.readFloats("model.layers.1.self_attn.q_proj.weight");
            assertEquals(0.0, mean(q), 0.01);
            assertEquals(0.08, Math.sqrt(variance(q)), 0.01);
            float[] norm = ckpt.readFloats("model.norm.weight");
            assertEquals(1.0, mean(norm), 0.05);
            assertEquals(0.1, Math.sqrt(variance(norm)), 0.04);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {Fixtures.F32_MODEL, Fixtures.BF16_SHARDED_MODEL})
    void allReadPathsAgreeBitForBit(String model) {
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(Fixtures.model(model))) {
            for (String name : ckpt.names()) {
                float[] expected = ckpt.readFloats(name);
                int n = expected.length;

                ByteBuffer direct = ckpt.readDirect(name);
                assertTrue(direct.isDirect());
                assertEquals(ByteOrder.nativeOrder(), direct.order());
                assertEquals(0, direct.position());
                assertEquals(4 * n, direct.limit());
                assertBitsEqual(expected, direct.asFloatBuffer(), name + " readDirect");

                FloatBuffer heap = FloatBuffer.allocate(n + 3);
                heap.position(3);
                ckpt.readInto(name, heap);
                assertEquals(n + 3, heap.position());
                heap.position(3);
                assertBitsEqual(expected, heap, name + " readInto(FloatBuffer)");

                // A big-endian destination still gets native-order floats, at its position.
                ByteBuffer offset = ByteBuffer.allocateDirect(4 * n + 8);
                offset.position(8);
                ckpt.readInto(name, offset);
                assertEquals(4 * n + 8, offset.position());
                offset.position(8);
                assertBitsEqual(expected, offset.slice().order(ByteOrder.nativeOrder()).asFloatBuffer(),
                        name + " readInto(ByteBuffer)");

                // Element ranges: the tail half read separately.
                int half = n / 2;
                ByteBuffer tail = ByteBuffer.allocate(4 * (n - half));
                ckpt.readInto(name, half, n - half, tail);
                tail.flip();
                FloatBuffer tailFloats = tail.order(ByteOrder.nativeOrder()).asFloatBuffer();
                for (int i = half; i < n; i++) {
                    assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(tailFloats.get()),
                            name + " range [" + i + "]");
                }
            }
        }
    }

    @Test
    void checkpointCanBeOpenedFromTheIndexFileOrAShardFileToo() {
        Path dir = Fixtures.model(Fixtures.BF16_SHARDED_MODEL);
        try (SafetensorsCheckpoint viaIndex = SafetensorsCheckpoint.open(dir.resolve("model.safetensors.index.json"));
                SafetensorsCheckpoint viaShard =
                        SafetensorsCheckpoint.open(dir.resolve("model-00002-of-00002.safetensors"))) {
            assertEquals(36, viaIndex.names().size());
            assertTrue(viaShard.names().size() < 36 && !viaShard.names().isEmpty());
            for (String name : viaShard.names()) {
                assertArrayEquals(viaIndex.readFloats(name), viaShard.readFloats(name), name);
            }
        }
    }

    private static void assertBitsEqual(float[] expected, FloatBuffer actual, String what) {
        assertEquals(expected.length, actual.remaining(), what + " length");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual.get(actual.position()
                    + i)), what + "[" + i + "]");
        }
    }

    private static double mean(float[] a) {
        double s = 0;
        for (float f : a) {
            s += f;
        }
        return s / a.length;
    }

    private static double variance(float[] a) {
        double m = mean(a);
        double s = 0;
        for (float f : a) {
            s += (f - m) * (f - m);
        }
        return s / a.length;
    }
}
