package dev.groupflow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.safetensors.SafetensorsCheckpoint;
import dev.groupflow.safetensors.SafetensorsException;
import dev.groupflow.safetensors.SafetensorsWriter;
import dev.groupflow.safetensors.TensorDataSource;
import dev.groupflow.safetensors.TensorSpec;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hugging Face checkpoint directories: {@code config.json} plus {@code model.safetensors} or shards with
 * {@code model.safetensors.index.json}. Weights may be F32, F16 or BF16 (widened to F32 in Java; PyTorch's BF16
 * arrays crash DJL's engine). Every tensor the architecture needs must be present with its shape, and no
 * tensor may be left over: all problems of a checkpoint are reported together, each naming tensor and file.
 */
public final class HfCheckpoints {
    private static final Logger LOG = LoggerFactory.getLogger(HfCheckpoints.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Buffers some checkpoints carry that are recomputed from the config (transformers ignores them too). */
    private static final Pattern IGNORED = Pattern.compile(".*\\.rotary_emb\\.inv_freq$");
    /** Files that describe the tokenizer, copied next to saved weights so a checkpoint is self-contained. */
    public static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer.json.gz",
            "tokenizer_config.json", "special_tokens_map.json", "generation_config.json", "vocab.json", "merges.txt",
            "tokenizer.model", "added_tokens.json", "groupflow_tokenizer.json");
    /** Default shard size when saving (as transformers' {@code max_shard_size="5GB"}). */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

    private HfCheckpoints() {
    }

    /** Loads config and weights of a checkpoint directory onto the device of {@code parent}. */
    public static CausalLm load(Path dir, NDManager parent) {
        return load(dir, ModelConfig.load(configFile(dir)), parent, Set.of());
    }

    /** The directory's {@code config.json}; a directory without one is not a model directory. */
    public static Path configFile(Path dir) {
        Path configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(configFile) && Files.isRegularFile(dir.resolve("adapter_config.json"))) {
            throw new ModelException(dir, "holds LoRA adapters, not a whole model: write one with the adapters "
                    + "merged (groupflow train --run-dir RUN --resume --export-merged DIR) and load that");
        }
        if (!Files.isRegularFile(configFile)) {
            throw new ModelException(dir, "not a model directory: config.json is missing");
        }
        return configFile;
    }

    /**
     * Loads the decoder of a checkpoint directory whose architecture the caller has read (a sequence-classification
     * reward model: its decoder with tied embeddings, so no LM head). {@code otherTensors} are the caller's own
     * (a reward model's {@code score.weight}): present or not, they are not reported as unexpected.
     */
    public static CausalLm load(Path dir, ModelConfig config, NDManager parent, Set<String> otherTensors) {
        try (SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(dir)) {
            check(config, weights, parent, otherTensors);
            return CausalLm.fromTensors(config, parent,
                    (slot, first, count, dst) -> weights.readInto(slot.hfName(), first, count, dst));
        } catch (SafetensorsException e) {
            throw new ModelException(e.file(), e.getMessage(), e);
        }
    }

    /** Every expected tensor present with the right shape, nothing unexpected; all problems at once. */
    private static void check(ModelConfig config, SafetensorsCheckpoint weights, NDManager parent,
                              Set<String> otherTensors) {
        List<String> problems = new ArrayList<>();
        Set<String> expected = new HashSet<>();
        try (CausalLm layout = CausalLm.empty(config, parent)) {
            for (TensorSlot slot : layout.slots()) {
                expected.add(slot.hfName());
                if (!weights.contains(slot.hfName())) {
                    problems.add("tensor '" + slot.hfName() + "' is missing (expected shape "
                            + Arrays.toString(slot.shape()) + ")");
                    continue;
                }
                long[] actual = weights.shape(slot.hfName());
                if (!Arrays.equals(actual, slot.shape())) {
                    problems.add("tensor '" + slot.hfName() + "' in " + weights.info(slot.hfName()).file().getFileName()
                            + " has shape " + Arrays.toString(actual) + " but config.json implies "
                            + Arrays.toString(slot.shape()));
                }
            }
        }
        for (String name : weights.names()) {
            if (expected.contains(name) || otherTensors.contains(name) || IGNORED.matcher(name).matches()) {
                continue;
            }
            String file = String.valueOf(weights.info(name).file().getFileName());
            if (name.equals("lm_head.weight") && config.tieWordEmbeddings()) {
                LOG.warn("{}: ignoring lm_head.weight because tie_word_embeddings is true", file);
                continue;
            }
            problems.add("tensor '" + name + "' in " + file + " is not part of a " + config.modelType()
                    + " model with this config");
        }
        if (!problems.isEmpty()) {
            throw new ModelException(weights.directory(), problems, null);
        }
    }

    /**
     * Saves the model in the Hugging Face layout: config.json and F32 safetensors, sharded with an index above
     * {@code maxShardBytes}. Each file is written to a temporary name and renamed.
     */
    public static void save(CausalLm model, Path dir, long maxShardBytes) {
        try {
            Files.createDirectories(dir);
            Path config = dir.resolve("config.json");
            Path tmp = dir.resolve("config.json.tmp");
            Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(model.config().toHfJson()));
            Files.move(tmp, config, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new ModelException(dir, "cannot write config.json: " + e.getMessage(), e);
        }
        List<TensorSpec> specs = new ArrayList<>();
        for (TensorSlot slot : model.slots()) {
            specs.add(TensorSpec.of(slot.hfName(), slot.shape()));
        }
        new SafetensorsWriter().withMaxShardBytes(maxShardBytes).writeCheckpoint(dir, specs, new Tensors(model));
    }

    /** Writes only the weights, as one safetensors file with the Hugging Face tensor names. */
    public static void saveWeightsFile(CausalLm model, Path file) {
        List<TensorSpec> specs = new ArrayList<>();
        for (TensorSlot slot : model.slots()) {
            specs.add(TensorSpec.of(slot.hfName(), slot.shape()));
        }
        new SafetensorsWriter().writeFile(file, specs, new Tensors(model));
    }

    /**
     * A model's Hugging Face tensors one at a time, as the model computes them: with adapters, an adapted
     * projection's weight is merged (W + (α / r) B A, in a temporary freed once the tensor is written), so a saved
     * model is a plain checkpoint any loader reads.
     */
    private static final class Tensors implements TensorDataSource {
        private final CausalLm model;
        private final Map<String, TensorSlot> byName = new HashMap<>();
        private NDArray merged; // the tensor being written, when it is a merged temporary

        Tensors(CausalLm model) {
            this.model = model;
            for (TensorSlot slot : model.slots()) {
                byName.put(slot.hfName(), slot);
            }
        }

        @Override
        public FloatBuffer data(TensorSpec spec) {
            TensorSlot slot = byName.get(spec.name());
            int[] projection = model.adapters() == null ? null : CausalLm.projectionOf(slot.hfName());
            NDArray delta = projection == null ? null
                    : model.adapters().weightDelta(projection[0], CausalLm.PROJECTIONS.get(projection[1]));
            if (delta == null) {
                return tensorData(slot);
            }
            NDArray param = slot.parameter().getArray();
            try (NDArray rows = param.get(new NDIndex().addSliceDim(slot.rowOffset(),
                    slot.rowOffset() + slot.shape()[0]))) {
                merged = rows.add(delta);                                                  // [out, in]
            }
            delta.close();
            return NativeArrays.view(merged);
        }

        @Override
        public void written(TensorSpec spec) {
            if (merged != null) {
                merged.close();
                merged = null;
            }
        }
    }

    /** A model of {@code config} with the weights of one safetensors file written by {@link #saveWeightsFile}. */
    public static CausalLm loadWeightsFile(ModelConfig config, Path file, NDManager parent) {
        try (SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(file)) {
            check(config, weights, parent, Set.of());
            return CausalLm.fromTensors(config, parent,
                    (slot, first, count, dst) -> weights.readInto(slot.hfName(), first, count, dst));
        } catch (SafetensorsException e) {
            throw new ModelException(e.file(), e.getMessage(), e);
        }
    }

    /**
     * One tensor's floats (only its rows of a fused parameter): on the CPU a view of the parameter's own memory,
     * nothing copied, valid while the writer writes it (the caller's thread does not train meanwhile).
     */
    private static FloatBuffer tensorData(TensorSlot slot) {
        NDArray param = slot.parameter().getArray();
        if (slot.rowOffset() == 0 && slot.shape()[0] == param.getShape().get(0)) {
            return NativeArrays.view(param);
        }
        try (NDArray rows = param.get(new NDIndex().addSliceDim(slot.rowOffset(),
                slot.rowOffset() + slot.shape()[0]))) {
            return NativeArrays.view(rows); // a row slice of a contiguous parameter: its memory, contiguous
        }
    }

    /** Copies the tokenizer files that exist in {@code from} into {@code to}. */
    public static void copyTokenizerFiles(Path from, Path to) {
        for (String name : TOKENIZER_FILES) {
            Path src = from.resolve(name);
            if (Files.isRegularFile(src)) {
                try {
                    Files.copy(src, to.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException e) {
                    throw new ModelException(src, "cannot copy to " + to + ": " + e.getMessage(), e);
                }
            }
        }
    }
}
