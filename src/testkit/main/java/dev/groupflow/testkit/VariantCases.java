package dev.groupflow.testkit;

import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.function.ThrowingConsumer;

/**
 * The cases of one section ({@code ngrpo}, {@code guidance}, {@code majority}, ...) of every file under
 * {@code fixtures/grpo-variants/} (made by the reference's {@code variants_ref.py}), as dynamic tests: one
 * container per file that has the section, one test per case. A new file is checked with no code change; a file
 * without the section is skipped (its other sections belong to other tests), but at least one file must have it.
 */
public final class VariantCases {
    private static final ObjectMapper JSON = new ObjectMapper();

    private VariantCases() {
    }

    /** One case with the tolerance of its file. */
    public record Case(JsonNode node, double tolerance) {
    }

    /**
     * @param section the section's name
     * @param name a test's name from its case
     * @param check the assertions on one case
     */
    public static Stream<DynamicNode> of(String section, Function<JsonNode, String> name,
                                         ThrowingConsumer<Case> check) {
        List<DynamicNode> out = new ArrayList<>();
        for (Path file : files()) {
            JsonNode root;
            try {
                root = JSON.readTree(file.toFile());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            JsonNode cases = root.path(section);
            if (cases.isMissingNode()) {
                continue;
            }
            double tolerance = root.get("tolerance").asDouble();
            List<DynamicNode> tests = new ArrayList<>();
            int i = 0;
            for (JsonNode c : cases) {
                tests.add(DynamicTest.dynamicTest("case " + i++ + " " + name.apply(c),
                        () -> check.accept(new Case(c, tolerance))));
            }
            assertFalse(tests.isEmpty(), file + " has an empty " + section + " section");
            out.add(DynamicContainer.dynamicContainer(file.getFileName().toString(), tests));
        }
        assertFalse(out.isEmpty(), "no file under fixtures/grpo-variants has a " + section + " section");
        return out.stream();
    }

    private static List<Path> files() {
        try {
            Path dir = Path.of(VariantCases.class.getResource("/fixtures/grpo-variants").toURI());
            try (Stream<Path> s = Files.list(dir)) {
                return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
