package dev.groupflow.checkpoint;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.groupflow.data.FileDigest;
import dev.groupflow.grpo.AdamW;
import dev.groupflow.grpo.Learner;
import dev.groupflow.grpo.Moments;
import dev.groupflow.metrics.LineAppender;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.HfCheckpoints;
import dev.groupflow.model.NativeArrays;
import dev.groupflow.safetensors.SafetensorsCheckpoint;
import dev.groupflow.safetensors.SafetensorsWriter;
import dev.groupflow.safetensors.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes and finds checkpoints in {@code RUN_DIR/checkpoints/step-N/}:
 *
 * <ul>
 *   <li>{@code config.json}, {@code model.safetensors} (or shards): the policy in Hugging Face layout, with the
 *       tokenizer files, so the directory loads in Hugging Face tools and in {@code groupflow sample}; with LoRA
 *       {@code adapter_config.json} and {@code adapter_model.safetensors} instead (PEFT's layout: the frozen base
 *       is the run's {@code model.path});</li>
 *   <li>{@code optimizer.safetensors}: AdamW's moments ({@code exp_avg/NAME}, {@code exp_avg_sq/NAME});</li>
 *   <li>{@code trainer_state.json}: step, policy version, counters, data position;</li>
 *   <li>{@code run.conf}: the run's resolved configuration;</li>
 *   <li>{@code ledger.jsonl}: the prompt keys trained (and dropped) at every step so far;</li>
 *   <li>in deterministic mode, {@code weights-vN.safetensors}: the older policy versions the prompts in flight are
 *       sampled with;</li>
 *   <li>{@code manifest.json}, written last: size and SHA-256 of every other file.</li>
 * </ul>
 *
 * A checkpoint is written into {@code step-N.tmp}, every file synced to disk, then renamed; only after the rename
 * are checkpoints beyond the newest {@code keep} deleted. A second checkpoint of a step already committed (a final
 * one right after a periodic one) sets the first aside as {@code step-N.replaced} before taking its name, and
 * deletes it only after. A directory without a manifest, or whose files do not
 * match it, is incomplete or corrupt: {@link #latest} skips it (with a warning) for the previous one.
 */
public final class Checkpointer {
    private static final Logger LOG = LoggerFactory.getLogger(Checkpointer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String MANIFEST = "manifest.json";
    /** Suffix of a committed checkpoint set aside while a new checkpoint of the same step takes its name. */
    static final String REPLACED = ".replaced";
    static final String OPTIMIZER_FILE = "optimizer.safetensors";
    private static final String EXP_AVG = "exp_avg/";
    private static final String EXP_AVG_SQ = "exp_avg_sq/";

    private final Path root;
    private final int keep;

    public Checkpointer(Path root, int keep) {
        this.root = root;
        this.keep = keep;
    }

    public Path root() {
        return root;
    }

    /** A checkpoint found on disk. */
    public record Loaded(Path dir, TrainerState state, AdamW.State optimizer, String config) {
    }

    /**
     * Writes checkpoint {@code step}; returns its directory.
     *
     * @param tokenizerFiles writes the tokenizer's files into the directory it is given
     */
    public Path write(long step, CausalLm policy, Consumer<Path> tokenizerFiles, Learner.State learner,
                      TrainerState state, String configHocon) {
        return write(step, policy, tokenizerFiles, learner, state, configHocon, dir -> { });
    }

    /**
     * As {@link #write(long, CausalLm, Consumer, Learner.State, TrainerState, String)}, with more files (written by
     * {@code extraFiles} into the directory it is given, top level, before the manifest, so they are checksummed).
     */
    public Path write(long step, CausalLm policy, Consumer<Path> tokenizerFiles, Learner.State learner,
                      TrainerState state, String configHocon, Consumer<Path> extraFiles) {
        Path dir = root.resolve("step-" + step);
        Path tmp = root.resolve("step-" + step + ".tmp");
        try {
            Files.createDirectories(root);
            deleteTree(tmp);
            Files.createDirectories(tmp);
            if (policy.adapters() != null) {
                policy.adapters().save(tmp); // the base is frozen: a checkpoint holds the adapters only
            } else {
                HfCheckpoints.save(policy, tmp, HfCheckpoints.DEFAULT_MAX_SHARD_BYTES);
            }
            tokenizerFiles.accept(tmp);
            writeOptimizer(tmp, learner.optimizer());
            Files.writeString(tmp.resolve("trainer_state.json"),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsString(state));
            Files.writeString(tmp.resolve("run.conf"), configHocon);
            extraFiles.accept(tmp);
            writeManifest(tmp, step);
            // a checkpoint of the same step (a final one after a periodic one, with a newer data position)
            // replaces the committed one without a moment in which neither is on disk: the old one is set
            // aside by a rename, still a candidate for latest() should this process die before the next rename
            Path replaced = root.resolve("step-" + step + REPLACED);
            if (Files.exists(dir)) {
                deleteTree(replaced); // dir is newer: an earlier writer got as far as its second rename
                Files.move(dir, replaced, StandardCopyOption.ATOMIC_MOVE);
                syncDirectory(root);
            }
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            syncDirectory(root);
            deleteTree(replaced);
        } catch (IOException | RuntimeException e) {
            try {
                deleteTree(tmp);
            } catch (IOException ignored) {
                // the original error is what matters
            }
            String why = e instanceof IOException io ? LineAppender.reason(io) : e.getMessage();
            throw new CheckpointException("cannot write checkpoint " + dir + ": " + why
                    + " (the previous checkpoint is untouched)", e);
        }
        prune();
        return dir;
    }

    /** Streams the moments into optimizer.safetensors one tensor at a time (views of the optimizer's memory). */
    private static void writeOptimizer(Path dir, AdamW.State s) {
        Moments moments = s.moments();
        List<TensorSpec> specs = new ArrayList<>();
        for (String k : moments.names()) {
            specs.add(TensorSpec.of(EXP_AVG + k, moments.size(k)));
        }
        for (String k : moments.names()) {
            specs.add(TensorSpec.of(EXP_AVG_SQ + k, moments.size(k)));
        }
        new SafetensorsWriter().withMetadata(Map.of("adamw_step", Long.toString(s.step())))
                .writeFile(dir.resolve(OPTIMIZER_FILE), specs, spec -> spec.name().startsWith(EXP_AVG_SQ)
                        ? moments.floats(spec.name().substring(EXP_AVG_SQ.length()), true)
                        : moments.floats(spec.name().substring(EXP_AVG.length()), false));
    }

    /** The moments of an optimizer file, read a tensor at a time when they are imported (never all at once). */
    static Moments fileMoments(Path file) {
        Map<String, Long> sizes = new LinkedHashMap<>();
        try (SafetensorsCheckpoint opt = SafetensorsCheckpoint.open(file)) {
            for (String name : opt.names()) {
                if (name.startsWith(EXP_AVG) && !name.startsWith(EXP_AVG_SQ)) {
                    String k = name.substring(EXP_AVG.length());
                    sizes.put(k, opt.info(name).numElements());
                    if (!opt.contains(EXP_AVG_SQ + k)) {
                        throw new CheckpointException(file + ": " + EXP_AVG + k + " has no " + EXP_AVG_SQ + k);
                    }
                }
            }
        }
        return new Moments.Listed(sizes) {
            @Override
            public FloatBuffer floats(String name, boolean second) {
                try (SafetensorsCheckpoint opt = SafetensorsCheckpoint.open(file)) {
                    return FloatBuffer.wrap(opt.readFloats((second ? EXP_AVG_SQ : EXP_AVG) + name));
                }
            }

            @Override
            public void copyInto(String name, boolean second, NDArray target) {
                try (SafetensorsCheckpoint opt = SafetensorsCheckpoint.open(file)) {
                    String tensor = (second ? EXP_AVG_SQ : EXP_AVG) + name;
                    NativeArrays.fill(target, (first, count, dst) -> opt.readInto(tensor, first, count, dst));
                }
            }
        };
    }

    private static void writeManifest(Path dir, long step) throws IOException {
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("step", step);
        ObjectNode files = manifest.putObject("files");
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.sorted().toList()) {
                sync(f);
                ObjectNode entry = files.putObject(f.getFileName().toString());
                entry.put("bytes", Files.size(f));
                entry.put("sha256", sha256(f));
            }
        }
        Path m = dir.resolve(MANIFEST);
        Files.writeString(m, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(manifest));
        sync(m);
        syncDirectory(dir);
    }

    static String sha256(Path file) throws IOException {
        try {
            return FileDigest.sha256(file);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static void sync(Path file) throws IOException {
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ)) {
            c.force(true);
        }
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
            c.force(true);
        } catch (IOException ignored) {
            // not every file system lets a directory be synced; the files themselves are
        }
    }

    /** Complete checkpoints, newest first (by step number). */
    public List<Path> complete() {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (Stream<Path> s = Files.list(root)) {
            // step-N.replaced: the previous checkpoint of step N, set aside by a writer that died before its
            // replacement took the name step-N (after step-N when both are there)
            s.filter(p -> p.getFileName().toString().matches("step-\\d+(" + Pattern.quote(REPLACED)
                            + ")?") && Files.isDirectory(p))
                    .sorted(Comparator.comparingLong(Checkpointer::stepOf).reversed()
                            .thenComparing(p -> p.getFileName().toString().endsWith(REPLACED)))
                    .forEach(out::add);
        } catch (IOException e) {
            throw new CheckpointException("cannot list " + root + ": " + e.getMessage(), e);
        }
        return out;
    }

    static long stepOf(Path p) {
        String name = p.getFileName().toString();
        if (name.endsWith(REPLACED)) {
            name = name.substring(0, name.length() - REPLACED.length());
        }
        return Long.parseLong(name.substring("step-".length()));
    }

    /** What is wrong with a checkpoint directory, or null when its manifest matches every file. */
    public static String verify(Path dir) {
        Path m = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(m)) {
            return "no " + MANIFEST + " (the write did not finish)";
        }
        try {
            JsonNode files = JSON.readTree(m.toFile()).get("files");
            if (files == null || !files.isObject()) {
                return MANIFEST + " lists no files";
            }
            for (var it = files.fields(); it.hasNext(); ) {
                var e = it.next();
                Path f = dir.resolve(e.getKey());
                if (!Files.isRegularFile(f)) {
                    return e.getKey() + " is missing";
                }
                if (Files.size(f) != e.getValue().path("bytes").asLong()) {
                    return e.getKey() + " has " + Files.size(f) + " bytes, the manifest says "
                            + e.getValue().path("bytes").asLong();
                }
                if (!sha256(f).equals(e.getValue().path("sha256").asText())) {
                    return e.getKey() + " does not match its checksum";
                }
            }
            return null;
        } catch (IOException e) {
            return "unreadable: " + e.getMessage();
        }
    }

    /** The newest checkpoint that verifies, skipping (and warning about) incomplete or corrupt ones. */
    public Optional<Loaded> latest() {
        for (Path dir : complete()) {
            String problem = verify(dir);
            if (problem != null) {
                LOG.warn("skipping checkpoint {}: {}", dir, problem);
                continue;
            }
            return Optional.of(read(dir));
        }
        return Optional.empty();
    }

    /** Reads a verified checkpoint's state (the weights are loaded separately, as a model directory). */
    public static Loaded read(Path dir) {
        try {
            TrainerState state = JSON.readValue(dir.resolve("trainer_state.json").toFile(), TrainerState.class);
            Moments moments = fileMoments(dir.resolve(OPTIMIZER_FILE));
            String config = Files.readString(dir.resolve("run.conf"));
            return new Loaded(dir, state, new AdamW.State(state.optimizerStep(), moments), config);
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException("cannot read checkpoint " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Deletes complete checkpoints beyond the newest {@code keep}, and leftover temporary directories. */
    private void prune() {
        List<Path> all = complete();
        for (int i = keep; i < all.size(); i++) {
            try {
                deleteTree(all.get(i));
            } catch (IOException e) {
                LOG.warn("cannot delete old checkpoint {}: {}", all.get(i), e.getMessage());
            }
        }
        // step-N.tmp left by a process killed while writing (this one has just renamed its own)
        try (Stream<Path> s = Files.list(root)) {
            for (Path tmp : s.filter(p -> p.getFileName().toString().matches("step-\\d+\\.tmp")).toList()) {
                try {
                    deleteTree(tmp);
                } catch (IOException e) {
                    LOG.warn("cannot delete the unfinished checkpoint {}: {}", tmp, e.getMessage());
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot list {}: {}", root, e.getMessage());
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
