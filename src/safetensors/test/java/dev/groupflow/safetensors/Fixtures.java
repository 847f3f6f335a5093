package dev.groupflow.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Test helpers: fixture locations and hand-built / corrupted safetensors files. */
final class Fixtures {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String F32_MODEL = "tiny-qwen3";
    static final String BF16_SHARDED_MODEL = "tiny-qwen3-bf16-sharded";

    private Fixtures() {
    }

    /** A fixture model directory from the test resources. */
    static Path model(String name) {
        URL url = Fixtures.class.getResource("/fixtures/models/" + name + "/config.json");
        if (url == null) {
            throw new IllegalStateException("fixture " + name + " not on the test classpath");
        }
        try {
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Bytes of a safetensors file: u64 LE length, the header text as given (no padding), then data. */
    static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return file(h, data);
    }

    static byte[] file(byte[] header, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header).put(data);
        return b.array();
    }

    static Path write(Path dir, String fileName, byte[] bytes) {
        try {
            Files.createDirectories(dir);
            return Files.write(dir.resolve(fileName), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The header JSON and data buffer of an existing safetensors file. */
    static final class Parts {
        final ObjectNode header;
        final byte[] data;

        Parts(ObjectNode header, byte[] data) {
            this.header = header;
            this.data = data;
        }

        /** Reassembles (header re-serialised compactly) into file bytes. */
        byte[] toBytes() {
            try {
                return file(JSON.writeValueAsString(header), data);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    static Parts split(Path file) {
        try {
            byte[] all = Files.readAllBytes(file);
            long n = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            JsonNode header = JSON.readTree(new String(all, 8, (int) n, StandardCharsets.UTF_8));
            return new Parts((ObjectNode) header, Arrays.copyOfRange(all, 8 + (int) n, all.length));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies every file of a fixture model into {@code target}. */
    static Path copyModel(String name, Path target) {
        try {
            Files.createDirectories(target);
            try (var files = Files.list(model(name))) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    Files.copy(p, target.resolve(p.getFileName()));
                }
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] littleEndianFloats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putInt(Float.floatToRawIntBits(f));
        }
        return b.array();
    }
}
