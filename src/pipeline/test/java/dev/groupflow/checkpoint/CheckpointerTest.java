package dev.groupflow.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.groupflow.data.DataPosition;
import dev.groupflow.grpo.AdamW;
import dev.groupflow.grpo.Learner;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.HfCheckpoints;
import dev.groupflow.model.TinyModels;
import dev.groupflow.model.tokenizer.CharTokenizer;
import dev.groupflow.model.tokenizer.Tokenizers;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointerTest {
    private static final CharTokenizer TOKENIZER = new CharTokenizer("0123456789>");

    private static Path write(Checkpointer c, long step, CausalLm model) {
        AdamW.State opt = new AdamW.State(step, Map.of("w", new float[] {1, 2, step}),
                Map.of("w", new float[] {3, 4, step}));
        Learner.State learner = new Learner.State(step, 0, 0, opt);
        TrainerState state = new TrainerState(step, step, step, 0, 0, step,
                new DataPosition(step * 4, step * 4, List.of(new DataPosition.Pending(step * 4 - 1, step * 4 - 1)),
                        step * 4 - 1, 0, 0), step * 16);
        return c.write(step, model, dir -> Tokenizers.save(TOKENIZER, dir), learner, state, "seed = 1\n");
    }

    @Test
    void writesAReloadableCheckpointAndKeepsTheNewestK(@TempDir Path tmp) throws Exception {
        try (NDManager m = NDManager.newBaseManager();
             CausalLm model = CausalLm.random(TinyModels.qwen3(TOKENIZER.vocabSize()), m, 1)) {
            Checkpointer c = new Checkpointer(tmp.resolve("checkpoints"), 2);
            // what a process killed inside a checkpoint write leaves behind
            Path torn = tmp.resolve("checkpoints/step-0.tmp");
            Files.createDirectories(torn);
            Files.writeString(torn.resolve("model.safetensors"), "half");
            for (long step = 1; step <= 4; step++) {
                write(c, step, model);
            }
            assertEquals(List.of("step-4", "step-3"), c.complete().stream().map(p -> p.getFileName().toString()).toList());
            assertFalse(Files.exists(torn), "an unfinished write of an earlier process is deleted");
            Checkpointer.Loaded latest = c.latest().orElseThrow();
            assertEquals(4, latest.state().step());
            assertEquals(List.of(15L), latest.state().data().pendingKeys());
            assertArrayEquals(new float[] {3, 4, 4}, latest.optimizer().expAvgSq().get("w"));
            assertEquals(4, latest.optimizer().step());
            assertEquals("seed = 1\n", latest.config());
            assertNull(Checkpointer.verify(latest.dir()));
            try (CausalLm reloaded = HfCheckpoints.load(latest.dir(), m)) {
                assertArrayEquals(model.parameters().get("lm_head.weight").getArray().toFloatArray(),
                        reloaded.parameters().get("lm_head.weight").getArray().toFloatArray(), 0f);
            }
            assertTrue(Files.isRegularFile(latest.dir().resolve(Tokenizers.GROUPFLOW_FILE)));
        }
    }

    /** A write that fails part way (here, the disk fills up while the last files are written). */
    @Test
    void aFailedWriteIsAClearErrorAndLeavesThePreviousCheckpointIntact(@TempDir Path tmp) throws Exception {
        try (NDManager m = NDManager.newBaseManager();
             CausalLm model = CausalLm.random(TinyModels.qwen3(TOKENIZER.vocabSize()), m, 1)) {
            Checkpointer c = new Checkpointer(tmp.resolve("checkpoints"), 1);
            Path one = write(c, 1, model);
            AdamW.State opt = new AdamW.State(2, Map.of("w", new float[] {1}), Map.of("w", new float[] {1}));
            CheckpointException e = Assertions.assertThrows(CheckpointException.class,
                    () -> c.write(2, model, dir -> Tokenizers.save(TOKENIZER, dir), new Learner.State(2, 0, 0, opt),
                            new TrainerState(2, 2, 2, 0, 0, 2, DataPosition.start(), 32), "seed = 1\n", dir -> {
                                throw new UncheckedIOException(new IOException("No space left on device"));
                            }));
            assertTrue(e.getMessage().contains("No space left on device")
                    && e.getMessage().contains("the previous checkpoint is untouched"), e.getMessage());
            assertEquals(List.of(one), c.complete(), "keep = 1, yet step-1 survives: nothing is deleted before a commit");
            assertNull(Checkpointer.verify(one));
            try (Stream<Path> left = Files.list(tmp.resolve("checkpoints"))) {
                assertEquals(List.of("step-1"), left.map(p -> p.getFileName().toString()).toList(), "no debris");
            }
        }
    }

    @Test
    void aCorruptOrTornCheckpointIsSkippedForThePreviousOne(@TempDir Path tmp) throws Exception {
        try (NDManager m = NDManager.newBaseManager();
             CausalLm model = CausalLm.random(TinyModels.qwen3(TOKENIZER.vocabSize()), m, 1)) {
            Checkpointer c = new Checkpointer(tmp.resolve("checkpoints"), 5);
            write(c, 1, model);
            Path two = write(c, 2, model);
            Path three = write(c, 3, model);
            // step 3: a flipped byte in the weights
            try (RandomAccessFile f = new RandomAccessFile(three.resolve("model.safetensors").toFile(), "rw")) {
                f.seek(f.length() - 10);
                int b = f.read();
                f.seek(f.length() - 10);
                f.write(b ^ 0xFF);
            }
            assertNotNull(Checkpointer.verify(three));
            assertEquals(2, c.latest().orElseThrow().state().step());
            // step 2: the write stopped before the manifest
            Files.delete(two.resolve("manifest.json"));
            assertTrue(Checkpointer.verify(two).contains("did not finish"));
            assertEquals(1, c.latest().orElseThrow().state().step());
        }
    }

    /** A final checkpoint at the step of a periodic one (a stop right after it) replaces it without a gap. */
    @Test
    void aSecondCheckpointOfTheSameStepReplacesTheFirstWithNoMomentWithoutOne(@TempDir Path tmp) throws Exception {
        try (NDManager m = NDManager.newBaseManager();
             CausalLm model = CausalLm.random(TinyModels.qwen3(TOKENIZER.vocabSize()), m, 1)) {
            Checkpointer c = new Checkpointer(tmp.resolve("checkpoints"), 1);
            write(c, 1, model);
            Path first = write(c, 2, model);
            // the second write at step 2: its extra-files hook runs while the first is still committed
            AdamW.State opt = new AdamW.State(2, Map.of("w", new float[] {7}), Map.of("w", new float[] {8}));
            Path second = rewrite(c, model, opt,
                    dir -> assertEquals(2, c.latest().orElseThrow().state().step(), "the first one still stands"));
            assertEquals(first, second);
            assertArrayEquals(new float[] {8}, c.latest().orElseThrow().optimizer().expAvgSq().get("w"), "the newer one");
            try (Stream<Path> left = Files.list(tmp.resolve("checkpoints"))) {
                assertEquals(List.of("step-2"), left.map(p -> p.getFileName().toString()).toList(), "no debris");
            }

            // a writer killed between its two renames leaves the old one set aside and the new one unnamed:
            // the set-aside one is still found, and the next write of that step does not delete it first
            Files.move(second, tmp.resolve("checkpoints/step-2" + Checkpointer.REPLACED));
            Files.createDirectories(tmp.resolve("checkpoints/step-2.tmp"));
            Checkpointer.Loaded found = c.latest().orElseThrow();
            assertEquals(2, found.state().step());
            assertArrayEquals(new float[] {8}, found.optimizer().expAvgSq().get("w"));
            Path third = rewrite(c, model, opt,
                    dir -> assertTrue(Files.isDirectory(tmp.resolve("checkpoints/step-2" + Checkpointer.REPLACED)),
                            "kept until the new one is committed"));
            assertNull(Checkpointer.verify(third));
            try (Stream<Path> left = Files.list(tmp.resolve("checkpoints"))) {
                assertEquals(List.of("step-2"), left.map(p -> p.getFileName().toString()).toList(), "no debris");
            }
        }
    }

    /** Writes step 2 again with the given optimizer state; {@code duringWrite} runs before the manifest. */
    private static Path rewrite(Checkpointer c, CausalLm model, AdamW.State opt,
                                Consumer<Path> duringWrite) {
        return c.write(2, model, dir -> Tokenizers.save(TOKENIZER, dir), new Learner.State(2, 0, 0, opt),
                new TrainerState(2, 2, 2, 0, 0, 2, DataPosition.start(), 32), "seed = 1\n", duringWrite);
    }
}
