package dev.groupflow.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writer: HF byte layout, bit-exact F32 round trips (single and sharded), BF16/F16 rounding, streaming, atomicity. */
class WriterRoundTripTest {

    @TempDir
    Path tmp;

    /** Random floats with the awkward values mixed in: NaNs with payloads, -0.0, infinities, subnormals. */
    private static float[] awkwardRandom(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] special = {Float.intBitsToFloat(0x7FC00000), Float.intBitsToFloat(0x7F800001),
            Float.intBitsToFloat(0xFFABCDEF), Float.intBitsToFloat(0x7FA00001), -0.0f, 0.0f,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_NORMAL / 3,
            Float.MAX_VALUE};
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = i < special.length ? special[i]
                    : i % 3 == 0 ? Float.intBitsToFloat(rnd.nextInt()) : (float) rnd.nextGaussian();
        }
        return a;
    }

    private static void assertBitsEqual(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
                    what + "[" + i + "]");
        }
    }

    private static Map<String, float[]> randomTensors(List<TensorSpec> specs, long seed) {
        Map<String, float[]> m = new LinkedHashMap<>();
        for (TensorSpec s : specs) {
            m.put(s.name(), awkwardRandom((int) s.numElements(), seed++));
        }
        return m;
    }

    @Test
    void f32SingleFileRoundTripIsBitExactIncludingNanPayloadsAndNegativeZero() {
        // Unsorted input, a scalar, an empty tensor and one larger than the 1 MiB I/O chunk.
        List<TensorSpec> specs = List.of(TensorSpec.of("z.big", 300_001), TensorSpec.of("a.matrix", 7, 13),
                TensorSpec.of("m.scalar"), TensorSpec.of("e.empty", 0, 5), TensorSpec.of("b.cube", 2, 3, 4));
        Map<String, float[]> data = randomTensors(specs, 1);
        SafetensorsWriter.WriteResult r = new SafetensorsWriter().writeCheckpoint(tmp, specs, data);
        assertEquals(List.of(tmp.resolve("model.safetensors")), r.files());
        assertTrue(r.indexFile().isEmpty());
        assertEquals(4L * (300_001 + 91 + 1 + 24), r.totalBytes());
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(tmp)) {
            assertEquals(List.of("a.matrix", "b.cube", "e.empty", "m.scalar", "z.big"), ckpt.names());
            for (TensorSpec s : specs) {
                assertArrayEquals(s.shape(), ckpt.shape(s.name()));
                assertEquals(Dtype.F32, ckpt.info(s.name()).dtype());
                assertBitsEqual(data.get(s.name()), ckpt.readFloats(s.name()), s.name());
                ByteBuffer direct = ckpt.readDirect(s.name());
                float[] viaDirect = new float[data.get(s.name()).length];
                direct.asFloatBuffer().get(viaDirect);
                assertBitsEqual(data.get(s.name()), viaDirect, s.name() + " direct");
            }
            assertEquals(0, ckpt.info("m.scalar").rank());
        }
        assertNoTempFiles();
    }

    @Test
    void smallMaxShardSizeSplitsIntoHfNamedShardsWithASortedIndexAndRoundTripsBitExact() throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            specs.add(TensorSpec.of("layer." + i + ".w", 10, 10)); // 400 bytes each
        }
        specs.add(TensorSpec.of("huge", 1000)); // 4000 bytes: more than the max, gets its own shard
        Map<String, float[]> data = randomTensors(specs, 42);
        SafetensorsWriter.WriteResult r = new SafetensorsWriter().withMaxShardBytes(1000)
                .writeCheckpoint(tmp, specs, data);

        // Sorted: huge, layer.0 .. layer.9; greedy 1000 bytes: [huge] [0,1] [2,3] [4,5] [6,7] [8,9]
        assertEquals(6, r.files().size());
        for (int i = 0; i < 6; i++) {
            assertEquals(String.format("model-%05d-of-00006.safetensors", i + 1), r.files().get(i).getFileName()
                    .toString());
        }
        assertEquals(tmp.resolve("model.safetensors.index.json"), r.indexFile().orElseThrow());
        assertEquals("model-00001-of-00006.safetensors", r.weightMap().get("huge"));
        assertEquals("model-00006-of-00006.safetensors", r.weightMap().get("layer.9.w"));
        assertFalse(Files.exists(tmp.resolve("model.safetensors")));

        JsonNode index = Fixtures.JSON.readTree(Files.readAllBytes(r.indexFile().get()));
        assertEquals(4000 + 10 * 400, index.get("metadata").get("total_size").asLong());
        List<String> mapOrder = new ArrayList<>();
        index.get("weight_map").fieldNames().forEachRemaining(mapOrder::add);
        assertEquals(mapOrder.stream().sorted().collect(Collectors.toList()), mapOrder);
        assertEquals(11, mapOrder.size());

        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(tmp)) {
            assertTrue(ckpt.isSharded());
            assertEquals(r.files(), ckpt.files());
            for (TensorSpec s : specs) {
                assertBitsEqual(data.get(s.name()), ckpt.readFloats(s.name()), s.name());
                assertEquals(r.weightMap().get(s.name()), ckpt.info(s.name()).file().getFileName().toString());
            }
        }
        assertNoTempFiles();
    }

    @Test
    void writingTheF32FixtureTensorsReproducesTheFixtureFileByteForByte() throws IOException {
        Path fixture = Fixtures.model(Fixtures.F32_MODEL).resolve("model.safetensors");
        assertRewriteIsByteIdentical(fixture, new SafetensorsWriter());
    }

    @Test
    void writingTheBf16FixtureShardsReproducesEachShardByteForByte() throws IOException {
        Path dir = Fixtures.model(Fixtures.BF16_SHARDED_MODEL);
        SafetensorsWriter bf16 = new SafetensorsWriter().withDtype(Dtype.BF16);
        assertRewriteIsByteIdentical(dir.resolve("model-00001-of-00002.safetensors"), bf16);
        assertRewriteIsByteIdentical(dir.resolve("model-00002-of-00002.safetensors"), bf16);
    }

    private void assertRewriteIsByteIdentical(Path original, SafetensorsWriter writer) throws IOException {
        Path out = tmp.resolve("rewritten-" + original.getFileName());
        try (SafetensorsFile f = SafetensorsFile.open(original)) {
            List<TensorSpec> specs = new ArrayList<>();
            for (String n : f.names()) {
                specs.add(TensorSpec.of(n, f.info(n).shape()));
            }
            writer.writeFile(out, specs, spec -> FloatBuffer.wrap(f.readFloats(spec.name())));
        }
        byte[] expected = Files.readAllBytes(original);
        byte[] actual = Files.readAllBytes(out);
        long headerLen = ByteBuffer.wrap(expected).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(new String(expected, 8, (int) headerLen, StandardCharsets.UTF_8),
                new String(actual, 8, (int) Math.min(headerLen, actual.length - 8), StandardCharsets.UTF_8),
                "header text");
        assertArrayEquals(expected, actual, "file bytes");
    }

    @Test
    void bf16AndF16StorageRoundsToNearestEvenAndKeepsNan() {
        float[] values = {
            1f,
            Float.intBitsToFloat(0x3F808000), // BF16 tie, even below
            Float.intBitsToFloat(0x3F818000), // BF16 tie, even above
            1f + (float) Math.pow(2, -11), // F16 tie, even below
            1f + 3 * (float) Math.pow(2, -11), // F16 tie, even above
            65520f, // F16 overflow by rounding
            Float.NaN,
            -0f,
            Float.NEGATIVE_INFINITY,
        };
        // BF16 keeps 7 mantissa bits: the F16 ties at 2^-11 are far below its first step (2^-7), so they give 1.
        float[] expectBf16 = {1f, 1f, Float.intBitsToFloat(0x3F820000), 1f, 1f, 65536f, Float.NaN, -0f,
            Float.NEGATIVE_INFINITY};
        // 0x3F808000 = 1 + 2^-8 and 0x3F818000 = 1 + 3 * 2^-8 are exactly representable in F16 (10 mantissa bits).
        float[] expectF16 = {1f, Float.intBitsToFloat(0x3F808000), Float.intBitsToFloat(0x3F818000), 1f,
            1f + (float) Math.pow(2, -9), Float.POSITIVE_INFINITY, Float.NaN, -0f, Float.NEGATIVE_INFINITY};
        List<TensorSpec> specs = List.of(new TensorSpec("b", new long[] {values.length}, Dtype.BF16),
                new TensorSpec("h", new long[] {values.length}, Dtype.F16),
                TensorSpec.of("f", values.length));
        Map<String, float[]> data = Map.of("b", values, "h", values, "f", values);
        new SafetensorsWriter().writeCheckpoint(tmp, specs, data);
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(tmp)) {
            assertEquals(Dtype.BF16, ckpt.info("b").dtype());
            assertEquals(Dtype.F16, ckpt.info("h").dtype());
            assertEquals(Dtype.F32, ckpt.info("f").dtype());
            assertEquals(2L * values.length, ckpt.info("h").byteSize());
            assertSameValues(expectBf16, ckpt.readFloats("b"), "bf16");
            assertSameValues(expectF16, ckpt.readFloats("h"), "f16");
            assertBitsEqual(values, ckpt.readFloats("f"), "f32");
        }
    }

    private static void assertSameValues(float[] expected, float[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(expected[i])) {
                assertTrue(Float.isNaN(actual[i]), what + "[" + i + "] NaN");
            } else {
                assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
                        what + "[" + i + "] expected " + expected[i] + " got " + actual[i]);
            }
        }
    }

    @Test
    void bf16ChunkedWriteOfALargeTensorMatchesElementwiseRounding() {
        float[] values = awkwardRandom(1_100_000, 9); // > 2 I/O chunks of BF16
        new SafetensorsWriter().withDtype(Dtype.BF16).writeCheckpoint(tmp,
                List.of(TensorSpec.of("w", 1100, 1000)), Map.of("w", values));
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(tmp)) {
            float[] back = ckpt.readFloats("w");
            for (int i = 0; i < values.length; i++) {
                int expected = (FloatFormats.floatToBf16(values[i]) & 0xFFFF) << 16;
                assertEquals(expected, Float.floatToRawIntBits(back[i]), "w[" + i + "]");
            }
        }
    }

    @Test
    void sourceIsCalledOncePerTensorInWritingOrderWithAnyBufferKind() {
        List<TensorSpec> specs = List.of(TensorSpec.of("c", 3), TensorSpec.of("a", 2), TensorSpec.of("b", 4));
        List<String> calls = new ArrayList<>();
        List<String> released = new ArrayList<>();
        TensorDataSource source = new TensorDataSource() {
            @Override
            public FloatBuffer data(TensorSpec spec) {
                calls.add(spec.name());
                int n = (int) spec.numElements();
                ByteOrder order = spec.name().equals("a") ? ByteOrder.BIG_ENDIAN : ByteOrder.nativeOrder();
                FloatBuffer fb = ByteBuffer.allocateDirect(4 * (n + 1)).order(order).asFloatBuffer();
                fb.put(99f); // the writer must honour the position
                for (int i = 0; i < n; i++) {
                    fb.put(spec.name().charAt(0) * 10 + i);
                }
                fb.position(1);
                return fb;
            }

            @Override
            public void written(TensorSpec spec) {
                released.add(spec.name());
            }
        };
        new SafetensorsWriter().withMaxShardBytes(12).writeCheckpoint(tmp, specs, source);
        assertEquals(List.of("a", "b", "c"), calls);
        assertEquals(List.of("a", "b", "c"), released);
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(tmp)) {
            assertEquals(3, ckpt.files().size());
            assertArrayEquals(new float[] {970, 971}, ckpt.readFloats("a"));
            assertArrayEquals(new float[] {980, 981, 982, 983}, ckpt.readFloats("b"));
            assertArrayEquals(new float[] {990, 991, 992}, ckpt.readFloats("c"));
        }
    }

    @Test
    void sourceSupplyingTheWrongNumberOfFloatsFailsNamingTensorAndFileAndLeavesNoFile() {
        List<TensorSpec> specs = List.of(TensorSpec.of("a", 2), TensorSpec.of("b", 2, 3));
        Map<String, float[]> data = Map.of("a", new float[2], "b", new float[5]);
        SafetensorsException e = assertThrows(SafetensorsException.class,
                () -> new SafetensorsWriter().writeCheckpoint(tmp, specs, data));
        assertEquals("b", e.tensor());
        assertEquals(tmp.resolve("model.safetensors"), e.file());
        assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage().contains("'b'")
                && e.getMessage().contains("5 floats") && e.getMessage().contains("needs 6"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("model.safetensors")));
        assertNoTempFiles();

        SafetensorsException missing = assertThrows(SafetensorsException.class,
                () -> new SafetensorsWriter().writeCheckpoint(tmp, specs, Map.of("a", new float[2])));
        assertEquals("b", missing.tensor());
        assertNoTempFiles();
    }

    @Test
    void failedRewriteKeepsThePreviousFileIntact() throws IOException {
        new SafetensorsWriter().writeCheckpoint(tmp, List.of(TensorSpec.of("a", 2)), Map.of("a", new float[] {1, 2}));
        byte[] before = Files.readAllBytes(tmp.resolve("model.safetensors"));
        assertThrows(SafetensorsException.class, () -> new SafetensorsWriter().writeCheckpoint(tmp,
                List.of(TensorSpec.of("a", 3)), Map.of("a", new float[2])));
        assertArrayEquals(before, Files.readAllBytes(tmp.resolve("model.safetensors")));
        assertNoTempFiles();
    }

    @Test
    void switchingBetweenShardedAndSingleFileRemovesTheStaleLayout() throws IOException {
        List<TensorSpec> specs = List.of(TensorSpec.of("a", 100), TensorSpec.of("b", 100), TensorSpec.of("c", 100));
        Map<String, float[]> one = randomTensors(specs, 1);
        Map<String, float[]> two = randomTensors(specs, 2);
        new SafetensorsWriter().writeCheckpoint(tmp, specs, one);
        Files.writeString(tmp.resolve("config.json"), "{}");
        new SafetensorsWriter().withMaxShardBytes(400).writeCheckpoint(tmp, specs, two);
        assertEquals(List.of("config.json", "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                "model-00003-of-00003.safetensors", "model.safetensors.index.json"), listDir());
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(tmp)) {
            assertBitsEqual(two.get("b"), ckpt.readFloats("b"), "b after sharded rewrite");
        }
        new SafetensorsWriter().writeCheckpoint(tmp, specs, one);
        assertEquals(List.of("config.json", "model.safetensors"), listDir());
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(tmp)) {
            assertBitsEqual(one.get("c"), ckpt.readFloats("c"), "c after single rewrite");
        }
    }

    @Test
    void indexTextHasTheTransformersLayout() throws IOException {
        new SafetensorsWriter().withMaxShardBytes(4).writeCheckpoint(tmp,
                List.of(TensorSpec.of("y", 1), TensorSpec.of("x\u00e9\"", 1)), Map.of("y", new float[1],
                        "x\u00e9\"", new float[1]));
        String expected = "{\n  \"metadata\": {\n    \"total_size\": 8\n  },\n  \"weight_map\": {\n"
                + "    \"x\\u00e9\\\"\": \"model-00001-of-00002.safetensors\",\n"
                + "    \"y\": \"model-00002-of-00002.safetensors\"\n  }\n}\n";
        assertEquals(expected, Files.readString(tmp.resolve("model.safetensors.index.json")));
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(tmp)) {
            assertEquals(List.of("x\u00e9\"", "y"), ckpt.names());
        }
    }

    @Test
    void writerRejectsDuplicateAndReservedNamesAndIntegerDtypes() {
        assertThrows(IllegalArgumentException.class, () -> new SafetensorsWriter().writeCheckpoint(tmp,
                List.of(TensorSpec.of("a", 1), TensorSpec.of("a", 1)), Map.of("a", new float[1])));
        assertThrows(IllegalArgumentException.class, () -> new SafetensorsWriter().writeCheckpoint(tmp,
                List.of(TensorSpec.of("__metadata__", 1)), Map.of("__metadata__", new float[1])));
        assertThrows(IllegalArgumentException.class, () -> new SafetensorsWriter().withDtype(Dtype.I64));
        assertThrows(IllegalArgumentException.class, () -> TensorSpec.of("a", 2, -1));
        assertThrows(IllegalArgumentException.class, () -> new SafetensorsWriter().withMaxShardBytes(0));
    }

    @Test
    void customMetadataIsWrittenAfterFormatPt() {
        new SafetensorsWriter().withMetadata(Map.of("step", "12")).writeCheckpoint(tmp,
                List.of(TensorSpec.of("a", 1)), Map.of("a", new float[1]));
        try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve("model.safetensors"))) {
            assertEquals(List.of("format", "step"), new ArrayList<>(f.metadata().keySet()));
            assertEquals("pt", f.metadata().get("format"));
            assertEquals("12", f.metadata().get("step"));
        }
    }

    private List<String> listDir() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    private void assertNoTempFiles() {
        try (Stream<Path> s = Files.list(tmp)) {
            for (Iterator<Path> it = s.iterator(); it.hasNext();) {
                String n = it.next().getFileName().toString();
                assertFalse(n.contains(".tmp-"), "temp file left behind: " + n);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
