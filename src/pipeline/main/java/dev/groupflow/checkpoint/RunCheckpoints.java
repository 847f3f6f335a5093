package dev.groupflow.checkpoint;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.data.DataPosition;
import dev.groupflow.data.FileDigest;
import dev.groupflow.grpo.GuidanceSchedule;
import dev.groupflow.grpo.Learner;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.HfCheckpoints;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A training run's checkpoints: what {@link Checkpointer} writes (policy, tokenizer, optimizer, trainer state,
 * configuration, manifest) plus the files only a run has, written into the same directory before its manifest:
 *
 * <ul>
 *   <li>{@code ledger.jsonl}: the prompts trained (and dropped) at every step so far;</li>
 *   <li>in deterministic mode, {@code weights-vN.safetensors} (with LoRA {@code adapters-vN.safetensors}): the older
 *       policy versions the prompts in flight are sampled with ({@link #restoreOlderVersions} reads them back);</li>
 *   <li>{@code prompts.sha256}: the prompts file's digest, so a resume refuses a file whose rows have changed;</li>
 *   <li>{@code reference.safetensors}: the reference model, when {@code grpo.ref-sync-every} moves it
 *       ({@link #reference} reads it back);</li>
 *   <li>{@code guidance.json}: G²RPO-A's guidance length (the rule's 3-step state and ℓ of the versions still
 *       sampled with), when the run guides completions ({@link #guidance} reads it back).</li>
 * </ul>
 */
public final class RunCheckpoints {
    /** In a checkpoint: the reference model's weights, when {@code grpo.ref-sync-every} moves them. */
    public static final String REFERENCE_FILE = "reference.safetensors";
    /** In a checkpoint: the guidance length's state, when the run guides completions. */
    public static final String GUIDANCE_FILE = "guidance.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern OLDER = Pattern.compile("(weights|adapters)-v(\\d+)\\.safetensors");

    /** The older weight versions a deterministic run keeps, visited under the store's lock. */
    @FunctionalInterface
    public interface OlderVersions {
        OlderVersions NONE = action -> { };

        void forEach(BiConsumer<Long, CausalLm> action);
    }

    /**
     * What a run's checkpoint holds besides the learner.
     *
     * @param configHocon the run's resolved configuration
     * @param tokenizerFiles writes the tokenizer's files into the directory it is given
     * @param ledgerFile the run's ledger, copied in
     * @param olderVersions the older weight versions to keep ({@link OlderVersions#NONE} outside deterministic mode)
     * @param promptsFile the prompts file and its digest when the run started (both empty: no prompts file)
     * @param movingReference the reference model when it moves towards the policy (empty: it stays where it started)
     * @param guidance G²RPO-A's guidance length (empty: no guided completions)
     */
    public record Contents(String configHocon, Consumer<Path> tokenizerFiles, Path ledgerFile,
                           OlderVersions olderVersions, Optional<Digested> promptsFile,
                           Optional<CausalLm> movingReference, Optional<GuidanceSchedule> guidance) {
    }

    /** A file with the SHA-256 it had when the run started. */
    public record Digested(Path file, String sha256) {
    }

    private final Checkpointer checkpointer;
    private final Learner learner;
    private final Contents contents;

    public RunCheckpoints(Checkpointer checkpointer, Learner learner, Contents contents) {
        this.checkpointer = checkpointer;
        this.learner = learner;
        this.contents = contents;
    }

    /** Writes a checkpoint of the learner as it is now, at {@code step}. */
    public Path write(long step, DataPosition data, long samplesTrained) {
        Learner.State s = learner.checkpointState(); // views of the optimizer's memory: nothing copied
        TrainerState state = new TrainerState(step, step, s.updates(), s.skippedUpdates(), s.consecutiveNonFinite(),
                s.optimizer().step(), data, samplesTrained);
        return checkpointer.write(step, learner.policy(), contents.tokenizerFiles(), s, state, contents.configHocon(),
                this::writeRunFiles);
    }

    private void writeRunFiles(Path dir) {
        try {
            Files.copy(contents.ledgerFile(), dir.resolve(contents.ledgerFile().getFileName()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        contents.olderVersions().forEach((v, m) -> {
            if (m.adapters() != null) { // the frozen base is the run's model: only the adapters differ
                m.adapters().saveWeights(dir.resolve("adapters-v" + v + ".safetensors"));
            } else {
                HfCheckpoints.saveWeightsFile(m, dir.resolve("weights-v" + v + ".safetensors"));
            }
        });
        // a resume refuses a prompts file whose rows have changed under the recorded keys
        contents.promptsFile().ifPresent(p -> FileDigest.record(dir, p.sha256(), p.file()));
        // the reference has moved towards the policy: a resume must start from where it is now
        contents.movingReference().ifPresent(r -> HfCheckpoints.saveWeightsFile(r, dir.resolve(REFERENCE_FILE)));
        // ℓ and its cycle: a resumed run continues them as the uninterrupted run would
        contents.guidance().ifPresent(g -> {
            try {
                JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(GUIDANCE_FILE).toFile(), g.state());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** The guidance length's state a checkpoint holds, when its run guided completions. */
    public static Optional<GuidanceSchedule.State> guidance(Path checkpoint) {
        Path f = checkpoint.resolve(GUIDANCE_FILE);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(f.toFile(), GuidanceSchedule.State.class));
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    /** The reference weights a checkpoint holds, when its run moved the reference. */
    public static Optional<Path> reference(Path checkpoint) {
        Path f = checkpoint.resolve(REFERENCE_FILE);
        return Files.isRegularFile(f) ? Optional.of(f) : Optional.empty();
    }

    /**
     * Deterministic resume: hands every older version a checkpoint holds (newest first) to {@code restore}, the
     * versions the prompts in flight were (and will again be) sampled with. With adapters, an older version is the
     * policy's frozen base with that version's adapters.
     */
    public static void restoreOlderVersions(Path checkpoint, CausalLm policy, NDManager manager,
                                            BiConsumer<Long, CausalLm> restore) {
        try (Stream<Path> files = Files.list(checkpoint)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Matcher m = OLDER.matcher(f.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                boolean adapters = m.group(1).equals("adapters");
                try (CausalLm older = adapters ? policy.copy(manager)
                        : HfCheckpoints.loadWeightsFile(policy.config(), f, manager)) {
                    if (adapters) {
                        older.adapters().readWeights(f);
                    }
                    restore.accept(Long.parseLong(m.group(2)), older);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + checkpoint + ": " + e.getMessage(), e);
        }
    }
}
