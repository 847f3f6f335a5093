package dev.groupflow.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every kind of broken file or checkpoint fails with a SafetensorsException naming the file and the tensor. */
class BadFileTest {

    @TempDir
    Path tmp;

    private static final String OK_ENTRY = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    /** Opens {@code file} expecting failure; checks type, fields and that the message names file, tensor, phrases. */
    private static SafetensorsException assertBad(Path file, String tensor, String... phrases) {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> {
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                f.names();
            }
        });
        return assertNames(e, file, tensor, phrases);
    }

    private static SafetensorsException assertNames(SafetensorsException e, Path file, String tensor,
            String... phrases) {
        String m = e.getMessage();
        assertEquals(file, e.file(), m);
        assertEquals(tensor, e.tensor(), m);
        assertTrue(m.contains(file.toString()), "message names the file: " + m);
        if (tensor != null) {
            assertTrue(m.contains("'" + tensor + "'"), "message names the tensor: " + m);
        }
        for (String p : phrases) {
            assertTrue(m.contains(p), "message contains \"" + p + "\": " + m);
        }
        return e;
    }

    private Path hand(String header, int dataBytes) {
        return Fixtures.write(tmp, "bad.safetensors", Fixtures.file(header, new byte[dataBytes]));
    }

    private Path corruptFixture(Function<Fixtures.Parts, byte[]> edit) {
        Fixtures.Parts parts = Fixtures.split(Fixtures.model(Fixtures.F32_MODEL).resolve("model.safetensors"));
        return Fixtures.write(tmp, "model.safetensors", edit.apply(parts));
    }

    private static void setOffsets(ObjectNode header, String tensor, long begin, long end) {
        ArrayNode off = ((ObjectNode) header.get(tensor)).putArray("data_offsets");
        off.add(begin).add(end);
    }

    // ---- the first 8 bytes -------------------------------------------------------------------------------------

    @Test
    void fileShorterThanEightBytesIsRejected() {
        assertBad(Fixtures.write(tmp, "empty.safetensors", new byte[0]), null, "only 0 bytes");
        assertBad(Fixtures.write(tmp, "five.safetensors", new byte[5]), null, "only 5 bytes", "truncated");
    }

    @Test
    void headerLengthBeyondTheFileIsRejected() {
        byte[] bytes = ByteBuffer.allocate(28).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array();
        assertBad(Fixtures.write(tmp, "x.safetensors", bytes), null, "header length 1000", "the file is 28 bytes");
    }

    @Test
    void absurdHeaderLengthIsRejected() {
        byte[] big = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(200_000_000L).array();
        assertBad(Fixtures.write(tmp, "big.safetensors", big), null, "200000000", "absurd");
        byte[] neg = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L).array();
        assertBad(Fixtures.write(tmp, "neg.safetensors", neg), null, "18446744073709551615", "absurd");
    }

    // ---- header JSON --------------------------------------------------------------------------------------------

    @Test
    void garbageJsonIsRejected() {
        assertBad(hand("{not json at all", 0), null, "not valid JSON");
        assertBad(hand("\u0000\u0001garbage", 0), null, "not valid JSON");
    }

    @Test
    void invalidUtf8IsRejected() {
        byte[] header = {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'};
        assertBad(Fixtures.write(tmp, "x.safetensors", Fixtures.file(header, new byte[0])), null,
                "not valid UTF-8");
    }

    @Test
    void headerThatIsNotAnObjectOrHasTrailingContentIsRejected() {
        assertBad(hand("[1, 2, 3]", 0), null, "not a JSON object");
        assertBad(hand("\"a string\"", 0), null, "not a JSON object");
        assertBad(hand("{\"a\":" + OK_ENTRY + "} {}", 8), null, "content after the JSON object");
    }

    @Test
    void duplicateTensorNamesAreRejectedThoughJacksonWouldKeepTheLast() {
        assertBad(hand("{\"a\":" + OK_ENTRY + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
                + "\"a\":" + OK_ENTRY + "}", 16), "a", "duplicate tensor name");
    }

    @Test
    void duplicateKeyInsideAnEntryIsRejected() {
        assertBad(hand("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "a",
                "duplicate key \"dtype\"");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "entry not an object | 5 | must be a JSON object",
        "missing dtype | {\"shape\":[2],\"data_offsets\":[0,8]} | no \"dtype\"",
        "missing shape | {\"dtype\":\"F32\",\"data_offsets\":[0,8]} | no \"shape\"",
        "missing offsets | {\"dtype\":\"F32\",\"shape\":[2]} | no \"data_offsets\"",
        "dtype not a string | {\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]} | \"dtype\" must be a string",
        "unknown dtype | {\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]} | unknown dtype \"F33\"",
        "shape not an array | {\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]} | \"shape\" must be an array",
        "fractional dim | {\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]} | \"shape\" must be an array",
        "negative dim | {\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]} | negative dimension -2",
        "one offset | {\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]} | two non-negative integers",
        "three offsets | {\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]} | two non-negative integers",
        "negative offset | {\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]} | two non-negative integers",
        "string offsets | {\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[\"0\",\"8\"]} | two non-negative",
        "begin after end | {\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]} | begin is after end",
        "size mismatch | {\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]} | needs 16 bytes",
        "bf16 size mismatch | {\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,8]} | needs 4 bytes",
        "shape overflow | {\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]} | 64 bits",
    })
    void malformedEntryIsRejectedNamingTheTensor(String caseName, String entry, String phrase) {
        assertBad(hand("{\"__metadata__\":{\"format\":\"pt\"},\"w\":" + entry + "}", 16), "w", phrase);
    }

    @Test
    void sizeMismatchMessageGivesBothSizes() {
        assertBad(hand("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}", 16), "w",
                "[2, 2]", "F32", "needs 16 bytes", "span 12 bytes");
    }

    @Test
    void metadataThatIsNotAnObjectIsRejected() {
        assertBad(hand("{\"__metadata__\":[1],\"a\":" + OK_ENTRY + "}", 8), null, "__metadata__");
    }

    // ---- data ranges ----------------------------------------------------------------------------------------

    @Test
    void truncatedFixtureNamesTheTensorThatNoLongerFitsAndTheSizes() throws IOException {
        Path original = Fixtures.model(Fixtures.F32_MODEL).resolve("model.safetensors");
        Path copy = tmp.resolve("model.safetensors");
        Files.copy(original, copy);
        long size = Files.size(copy);
        try (FileChannel ch = FileChannel.open(copy, StandardOpenOption.WRITE)) {
            ch.truncate(size - 100);
        }
        // The tensor ending last is the one cut off; with the HF layout that is the last name in sorted order.
        String last;
        long dataStart;
        try (SafetensorsFile f = SafetensorsFile.open(original)) {
            last = f.names().stream().max((a, b) -> Long.compare(f.info(a).end(), f.info(b).end())).orElseThrow();
            dataStart = f.header().dataStart();
            assertEquals(size, dataStart + f.info(last).end());
        }
        assertEquals("model.norm.weight", last);
        assertBad(copy, last, "truncated file", "the file is " + (size - 100) + " bytes",
                "needs bytes up to " + size);
    }

    @Test
    void offsetsPointingPastTheEndOfTheFileAreRejected() {
        String victim = "model.layers.0.mlp.up_proj.weight";
        Path bad = corruptFixture(p -> {
            ObjectNode e = (ObjectNode) p.header.get(victim);
            long b = e.get("data_offsets").get(0).asLong();
            long n = e.get("data_offsets").get(1).asLong() - b;
            setOffsets(p.header, victim, p.data.length, p.data.length + n); // lies: right after the data
            return p.toBytes();
        });
        assertBad(bad, victim, "truncated file", "needs bytes up to");
    }

    @Test
    void overlappingTensorsInAFixtureAreRejectedNamingBoth() {
        String a = "model.layers.2.input_layernorm.weight";
        String b = "model.layers.2.post_attention_layernorm.weight";
        Path bad = corruptFixture(p -> {
            ObjectNode ea = (ObjectNode) p.header.get(a);
            setOffsets(p.header, b, ea.get("data_offsets").get(0).asLong(), ea.get("data_offsets").get(1).asLong());
            return p.toBytes();
        });
        SafetensorsException e = assertBad(bad, b, "overlap");
        assertTrue(e.getMessage().contains("'" + a + "'"), e.getMessage());
    }

    @Test
    void partiallyOverlappingRangesAreRejected() {
        SafetensorsException e = assertBad(hand("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[12,28]}}", 28), "b", "overlap",
                "[0, 16]", "[12, 28]");
        assertTrue(e.getMessage().contains("'a'"), e.getMessage());
    }

    @Test
    void gapsTrailingBytesAndEmptyTensorsAreAccepted() throws IOException {
        byte[] data = new byte[32];
        ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).putFloat(4, 1.5f).putFloat(16, -2f);
        Path file = Fixtures.write(tmp, "gappy.safetensors", Fixtures.file(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]},"
                + "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}   ", data));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertArrayEquals(new float[] {1.5f}, f.readFloats("a"));
            assertArrayEquals(new float[] {-2f}, f.readFloats("b"));
            assertArrayEquals(new float[0], f.readFloats("e"));
            assertTrue(f.metadata().isEmpty());
        }
    }

    // ---- reading ------------------------------------------------------------------------------------------------

    @Test
    void integerTensorsAreListedButReadingThemAsFloatFailsNamingTensorAndFile() {
        byte[] data = new byte[16 + 3];
        ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 7).putLong(8, -1);
        data[16] = 1;
        Path file = Fixtures.write(tmp, "ints.safetensors", Fixtures.file(
                "{\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                + "\"mask\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[16,19]}}", data));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(Dtype.I64, f.info("ids").dtype());
            assertEquals(Dtype.BOOL, f.info("mask").dtype());
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> f.readFloats("ids"));
            assertNames(e, file, "ids", "I64", "cannot be read as float");
            e = assertThrows(SafetensorsException.class, () -> f.readDirect("mask"));
            assertNames(e, file, "mask", "BOOL");
            ByteBuffer raw = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            f.readRaw("ids", raw);
            assertEquals(7, raw.getLong(0));
            assertEquals(-1, raw.getLong(8));
        }
    }

    @Test
    void unknownTensorNameFailsNamingTheTensor() {
        Path dir = Fixtures.model(Fixtures.F32_MODEL);
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
            SafetensorsException e = assertThrows(SafetensorsException.class,
                    () -> ckpt.readFloats("model.layers.3.mlp.up_proj.weight"));
            assertNames(e, dir, "model.layers.3.mlp.up_proj.weight", "no such tensor");
        }
    }

    @Test
    void tooSmallDestinationIsACallerError() {
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(Fixtures.model(Fixtures.F32_MODEL))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ckpt.readInto("model.norm.weight", ByteBuffer.allocateDirect(255)));
            assertTrue(e.getMessage().contains("model.norm.weight") && e.getMessage().contains("256"),
                    e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> ckpt.readInto("model.norm.weight", 60, 5, ByteBuffer.allocate(20)));
        }
    }

    @Test
    void readingAfterCloseFails() {
        SafetensorsFile f = SafetensorsFile.open(Fixtures.model(Fixtures.F32_MODEL).resolve("model.safetensors"));
        f.close();
        assertThrows(IllegalStateException.class, () -> f.readFloats("model.norm.weight"));
    }

    @Test
    void interruptedReadFailsClearlyAndTheNextReadReopensTheFile() {
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.model(Fixtures.F32_MODEL)
                .resolve("model.safetensors"))) {
            float[] expected = f.readFloats("model.norm.weight");
            Thread.currentThread().interrupt(); // Java closes a FileChannel when a thread blocked on it is interrupted
            SafetensorsException e;
            try {
                e = assertThrows(SafetensorsException.class, () -> f.readFloats("model.norm.weight"));
            } finally {
                Thread.interrupted();
            }
            assertNames(e, f.path(), "model.norm.weight", "interrupted");
            assertArrayEquals(expected, f.readFloats("model.norm.weight"));
        }
    }

    @Test
    void missingFileOrDirectoryInsteadOfFileIsRejected() {
        assertBad(tmp.resolve("nope.safetensors"), null, "does not exist");
        assertBad(tmp, null, "is a directory");
    }

    // ---- checkpoint directories ------------------------------------------------------------------------------

    @Test
    void directoryWithNeitherWeightFileNamesBothFileNames() {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(tmp));
        assertNames(e, tmp, null, "model.safetensors", "model.safetensors.index.json");
        Path missing = tmp.resolve("no-such-model");
        assertNames(assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(missing)), missing, null,
                "does not exist");
    }

    private Path shardedCopy() {
        return Fixtures.copyModel(Fixtures.BF16_SHARDED_MODEL, tmp.resolve("model"));
    }

    private static void editIndex(Path dir, Consumer<ObjectNode> edit) throws IOException {
        Path index = dir.resolve("model.safetensors.index.json");
        ObjectNode root = (ObjectNode) Fixtures.JSON.readTree(Files.readAllBytes(index));
        edit.accept((ObjectNode) root.get("weight_map"));
        Files.writeString(index, Fixtures.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    }

    @Test
    void missingShardIsNamedTogetherWithATensorMappedToIt() throws IOException {
        Path dir = shardedCopy();
        Path shard2 = dir.resolve("model-00002-of-00002.safetensors");
        String firstInShard2;
        try (SafetensorsFile f = SafetensorsFile.open(shard2)) {
            firstInShard2 = f.names().get(0);
        }
        Files.delete(shard2);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(dir));
        assertNames(e, shard2, firstInShard2, "model-00002-of-00002.safetensors", "is missing");
    }

    @Test
    void tensorMappedToAShardThatLacksItIsRejected() throws IOException {
        Path dir = shardedCopy();
        editIndex(dir, wm -> wm.put("model.layers.9.mlp.up_proj.weight", "model-00001-of-00002.safetensors"));
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(dir));
        assertNames(e, dir.resolve("model-00001-of-00002.safetensors"), "model.layers.9.mlp.up_proj.weight",
                "does not contain");
    }

    @Test
    void shardRewrittenWithoutAMappedTensorIsRejected() throws IOException {
        Path dir = shardedCopy();
        Path shard1 = dir.resolve("model-00001-of-00002.safetensors");
        Fixtures.Parts parts = Fixtures.split(shard1);
        String dropped = "lm_head.weight";
        assertTrue(parts.header.has(dropped));
        parts.header.remove(dropped); // leaves a gap, which alone is fine
        Files.write(shard1, parts.toBytes());
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(dir));
        assertNames(e, shard1, dropped, "does not contain");
    }

    @Test
    void tensorInAShardButNotInTheIndexIsRejected() throws IOException {
        Path dir = shardedCopy();
        String unlisted = "model.norm.weight";
        editIndex(dir, wm -> assertTrue(wm.remove(unlisted) != null));
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(dir));
        assertEquals(unlisted, e.tensor());
        assertTrue(e.getMessage().contains("not in the weight_map") && e.getMessage().contains(e.file().toString()),
                e.getMessage());
    }

    @Test
    void tensorMappedToTheWrongShardIsRejected() throws IOException {
        Path dir = shardedCopy();
        String moved = "lm_head.weight"; // lives in shard 1
        editIndex(dir, wm -> wm.put(moved, "model-00002-of-00002.safetensors"));
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(dir));
        assertEquals(moved, e.tensor());
        assertTrue(e.getMessage().contains(moved), e.getMessage());
    }

    @Test
    void corruptShardIsReportedWithTheShardFile() throws IOException {
        Path dir = shardedCopy();
        Path shard2 = dir.resolve("model-00002-of-00002.safetensors");
        byte[] bytes = Files.readAllBytes(shard2);
        Files.write(shard2, Arrays.copyOf(bytes, bytes.length - 2));
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(dir));
        assertEquals(shard2, e.file());
        assertTrue(e.getMessage().contains("truncated file") && e.tensor() != null, e.getMessage());
    }

    @Test
    void malformedIndexIsRejected() throws IOException {
        Path dir = shardedCopy();
        Path index = dir.resolve("model.safetensors.index.json");
        Files.writeString(index, "{\"weight_map\": {");
        assertNames(assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(dir)), index, null,
                "not valid JSON");
        Files.writeString(index, "{\"metadata\": {\"total_size\": 5}}");
        assertNames(assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(dir)), index, null,
                "weight_map");
        Files.writeString(index, "{\"weight_map\": {\"a\": \"x.safetensors\", \"a\": \"y.safetensors\"}}");
        assertNames(assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(dir)), index, null,
                "a");
        Files.writeString(index, "{\"weight_map\": {\"a\": \"../model-00001-of-00002.safetensors\"}}");
        assertNames(assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(dir)), index, "a",
                "not a plain file name");
        Files.writeString(index, "{\"metadata\": {\"total_size\": -3}, \"weight_map\": {\"a\": \"x\"}}");
        assertNames(assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(dir)), index, null,
                "total_size");
    }

    @Test
    void singleFilePreferredWhenBothLayoutsExist() throws IOException {
        Path dir = shardedCopy();
        Files.copy(Fixtures.model(Fixtures.F32_MODEL).resolve("model.safetensors"), dir.resolve("model.safetensors"));
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
            assertEquals(Dtype.F32, ckpt.info("lm_head.weight").dtype());
            assertNull(ckpt.indexFile().orElse(null));
        }
    }

    @Test
    void headerTextIsParsedFromTheRawBytesNotAssumedAscii() {
        // A non-ASCII tensor name written raw in UTF-8 (as Rust safetensors does) reads fine.
        String header = "{\"w\u00e9\":" + OK_ENTRY + "}";
        Path file = Fixtures.write(tmp, "utf8.safetensors", Fixtures.file(header.getBytes(StandardCharsets.UTF_8),
                Fixtures.littleEndianFloats(1f, 2f)));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertArrayEquals(new float[] {1f, 2f}, f.readFloats("w\u00e9"));
        }
    }
}
