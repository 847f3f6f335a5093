package dev.groupflow.model.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.groupflow.model.Adapters;
import dev.groupflow.model.ModelConfig;
import dev.groupflow.model.ModelException;
import dev.groupflow.model.NativeArrays;
import dev.groupflow.model.Scalars;
import dev.groupflow.safetensors.SafetensorsException;
import dev.groupflow.safetensors.SafetensorsCheckpoint;
import dev.groupflow.safetensors.SafetensorsFile;
import dev.groupflow.safetensors.SafetensorsWriter;
import dev.groupflow.safetensors.TensorSpec;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * LoRA adapters on a decoder's projections: for each targeted projection of each layer, {@code A} [r, in] and
 * {@code B} [out, r], and the update {@code (α / r) · B A dropout(x)} added to the projection's output.
 *
 * <p>On disk this is PEFT's layout, so the directory loads in PEFT as well: {@code adapter_config.json} and
 * {@code adapter_model.safetensors} with tensors named
 * {@code base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight} (and {@code lora_B}); the optimizer and
 * checkpoints use the same names without the {@code base_model.model.} prefix.
 *
 * <p>Dropout masks are drawn from PyTorch's generator seeded by (seed, pass, layer, projection): a recomputed layer
 * replays its pass and gets the same masks, and the pass counter is saved with the adapters so a resumed run draws
 * the masks an uninterrupted one would.
 */
public final class LoraAdapters implements Adapters {
    /** Adapter weights file (PEFT's name). */
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    /** Adapter configuration file (PEFT's name). */
    public static final String CONFIG_FILE = "adapter_config.json";
    private static final String FILE_PREFIX = "base_model.model.";
    private static final String PASSES = "groupflow_dropout_passes";
    private static final Pattern NAME = Pattern.compile(
            "model\\.layers\\.(\\d+)\\.(?:self_attn|mlp)\\.(\\w+_proj)\\.lora_([AB])\\.weight");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> MLP = Set.of("gate_proj", "up_proj", "down_proj");

    private final ModelConfig model;
    private final LoraConfig config;
    private final NDManager manager;
    private final long seed;
    private Path baseModel;    // the model the adapters are trained on (named in adapter_config.json), or null
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, Parameter[]> projections = new HashMap<>(); // "layer.target" -> {A, B}
    private long passes;       // training passes begun so far
    private long active = -1;  // the pass in progress (dropout on), or -1

    private LoraAdapters(ModelConfig model, LoraConfig config, NDManager parent, long seed) {
        if (!config.enabled()) {
            throw new IllegalArgumentException("lora.rank must be > 0 for adapters");
        }
        this.model = model;
        this.config = config;
        this.manager = parent.newSubManager();
        this.seed = seed;
        for (int layer = 0; layer < model.numLayers(); layer++) {
            for (String target : config.targets()) {
                Parameter a = Parameter.builder().setName(name(layer, target, "A")).setType(Parameter.Type.WEIGHT)
                        .build();
                Parameter b = Parameter.builder().setName(name(layer, target, "B")).setType(Parameter.Type.WEIGHT)
                        .build();
                parameters.put(a.getName(), a);
                parameters.put(b.getName(), b);
                projections.put(layer + "." + target, new Parameter[] {a, b});
            }
        }
    }

    /** The parameter name of A or B of a projection (PEFT's state-dict key without its prefix). */
    public static String name(int layer, String target, String which) {
        String block = MLP.contains(target) ? "mlp" : "self_attn";
        return "model.layers." + layer + "." + block + "." + target + ".lora_" + which + ".weight";
    }

    /** [in, out] of a projection of this architecture. */
    static long[] inOut(ModelConfig m, String target) {
        long e = m.hiddenSize();
        long q = (long) m.numHeads() * m.headDim();
        long kv = (long) m.numKvHeads() * m.headDim();
        long i = m.intermediateSize();
        return switch (target) {
            case "q_proj" -> new long[] {e, q};
            case "k_proj", "v_proj" -> new long[] {e, kv};
            case "o_proj" -> new long[] {q, e};
            case "gate_proj", "up_proj" -> new long[] {e, i};
            case "down_proj" -> new long[] {i, e};
            default -> throw new IllegalArgumentException("unknown projection " + target);
        };
    }

    /** Number of adapter parameters for this architecture and configuration. */
    public static long parameterCount(ModelConfig m, LoraConfig c) {
        long n = 0;
        for (String t : c.targets()) {
            long[] io = inOut(m, t);
            n += (long) c.rank() * (io[0] + io[1]);
        }
        return n * m.numLayers();
    }

    /** Floats per token the adapters add to one layer's forward pass: r after A, out after B and after scaling. */
    public static long activationFloatsPerToken(ModelConfig m, LoraConfig c) {
        long n = 0;
        for (String t : c.targets()) {
            n += 3L * c.rank() + 2 * inOut(m, t)[1];
        }
        return n;
    }

    /** Fresh adapters: A uniform in ±1/√in (PEFT's Kaiming initialisation), B zero; deterministic for a seed. */
    public static LoraAdapters create(ModelConfig model, LoraConfig config, NDManager parent, long seed,
                                      Path baseModel) {
        LoraAdapters a = new LoraAdapters(model, config, parent, seed);
        a.baseModel = baseModel;
        Random rng = new Random(seed);
        for (Parameter p : a.parameters.values()) {
            boolean isA = p.getName().endsWith("lora_A.weight");
            NDArray array = NativeArrays.empty(a.manager, a.shape(p.getName()));
            long in = a.shape(p.getName()).get(1);
            double bound = 1.0 / Math.sqrt(in);
            NativeArrays.fill(array, (first, count, dst) -> {
                FloatBuffer out = dst.asFloatBuffer();
                for (int i = 0; i < count; i++) {
                    out.put(i, isA ? (float) ((2 * rng.nextDouble() - 1) * bound) : 0f);
                }
            });
            a.attach(p, array);
        }
        return a;
    }

    /**
     * Loads adapters saved by {@link #save} (or by PEFT) from a directory; its configuration must match
     * {@code expected} in rank, alpha and targets (dropout and sampler come from {@code expected}).
     */
    public static LoraAdapters load(ModelConfig model, Path dir, LoraConfig expected, NDManager parent, long seed) {
        LoraConfig found = readConfig(dir, expected);
        if (found.rank() != expected.rank() || found.alpha() != expected.alpha()
                || !found.targets().equals(expected.targets())) {
            throw new ModelException(dir.resolve(CONFIG_FILE), "adapters have r = " + found.rank() + ", alpha = "
                    + found.alpha() + ", targets " + found.targets() + " but the run asks for lora.rank = "
                    + expected.rank() + ", lora.alpha = " + expected.alpha() + ", lora.targets " + expected.targets());
        }
        LoraAdapters a = new LoraAdapters(model, expected, parent, seed);
        a.baseModel = baseModel(dir);
        for (Parameter p : a.parameters.values()) {
            NDArray array = NativeArrays.empty(a.manager, a.shape(p.getName()));
            a.attach(p, array);
        }
        try {
            a.readWeights(dir.resolve(WEIGHTS_FILE));
        } catch (RuntimeException e) {
            a.close();
            throw e;
        }
        return a;
    }

    /**
     * Replaces every adapter value with those of a weights file ({@link #saveWeights}, or PEFT's
     * {@value #WEIGHTS_FILE}); every tensor must be there with its shape, and nothing else.
     */
    public void readWeights(Path file) {
        try (SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(file)) {
            List<String> problems = new ArrayList<>();
            for (String stored : weights.names()) {
                String key = stored.startsWith(FILE_PREFIX) ? stored.substring(FILE_PREFIX.length()) : stored;
                if (!parameters.containsKey(key)) {
                    problems.add("tensor '" + stored + "' is not an adapter of this model and configuration");
                }
            }
            for (Parameter p : parameters.values()) {
                String stored = FILE_PREFIX + p.getName();
                if (!weights.contains(stored)) {
                    problems.add("tensor '" + stored + "' is missing");
                } else if (!new Shape(weights.shape(stored)).equals(shape(p.getName()))) {
                    problems.add("tensor '" + stored + "' has shape " + new Shape(weights.shape(stored))
                            + ", expected " + shape(p.getName()));
                }
            }
            if (!problems.isEmpty()) {
                throw new ModelException(file, problems, null);
            }
            for (Parameter p : parameters.values()) {
                String stored = FILE_PREFIX + p.getName();
                NativeArrays.fill(p.getArray(), (first, count, dst) -> weights.readInto(stored, first, count, dst));
            }
        } catch (SafetensorsException e) {
            throw new ModelException(e.file(), e.getMessage(), e);
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            String n = f.metadata().get(PASSES);
            passes = n == null ? 0 : Long.parseLong(n);
        }
    }

    /** Whether a directory holds adapters ({@value #CONFIG_FILE} and {@value #WEIGHTS_FILE}). */
    public static boolean isAdapterDirectory(Path dir) {
        return Files.isRegularFile(dir.resolve(CONFIG_FILE)) && Files.isRegularFile(dir.resolve(WEIGHTS_FILE));
    }

    /** The base model an adapter directory was trained on ({@code base_model_name_or_path}), or null. */
    public static Path baseModel(Path dir) {
        try {
            JsonNode c = JSON.readTree(dir.resolve(CONFIG_FILE).toFile());
            JsonNode base = c.get("base_model_name_or_path");
            return base == null || base.isNull() ? null : dir.resolve(base.asText());
        } catch (IOException e) {
            throw new ModelException(dir.resolve(CONFIG_FILE), "cannot read: " + e.getMessage(), e);
        }
    }

    /** The configuration stored with adapters; dropout and sampler default to {@code defaults}'. */
    public static LoraConfig readConfig(Path dir, LoraConfig defaults) {
        Path file = dir.resolve(CONFIG_FILE);
        try {
            JsonNode c = JSON.readTree(file.toFile());
            if (c == null || !"LORA".equals(c.path("peft_type").asText("LORA"))) {
                throw new ModelException(file, "not a LoRA adapter configuration (peft_type must be LORA)");
            }
            List<String> targets = new ArrayList<>();
            c.path("target_modules").forEach(t -> targets.add(t.asText()));
            // a PEFT file lists targets in any order: keep the layer order groupflow uses
            List<String> ordered = new ArrayList<>(LoraConfig.ALL_TARGETS);
            ordered.retainAll(targets);
            if (ordered.size() != targets.size()) {
                throw new ModelException(file, "target_modules " + targets + " must be among " + LoraConfig.ALL_TARGETS);
            }
            if (c.path("use_rslora").asBoolean(false) || c.path("use_dora").asBoolean(false)) {
                throw new ModelException(file, "rsLoRA and DoRA adapters are not supported");
            }
            return new LoraConfig(c.path("r").asInt(), c.path("lora_alpha").asDouble(), ordered,
                    c.path("lora_dropout").asDouble(defaults.dropout()), defaults.sampler());
        } catch (IOException e) {
            throw new ModelException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    /** Writes {@value #CONFIG_FILE} and {@value #WEIGHTS_FILE} (F32) into {@code dir}, naming the base model. */
    @Override
    public void save(Path dir) {
        try {
            Files.createDirectories(dir);
            ObjectNode c = JSON.createObjectNode();
            c.put("peft_type", "LORA");
            c.put("task_type", "CAUSAL_LM");
            c.put("r", config.rank());
            c.put("lora_alpha", config.alpha());
            c.put("lora_dropout", config.dropout());
            c.putPOJO("target_modules", config.targets());
            c.put("bias", "none");
            c.put("fan_in_fan_out", false);
            c.put("use_rslora", false);
            c.put("base_model_name_or_path", baseModel == null ? null : baseModel.toAbsolutePath().toString());
            Files.writeString(dir.resolve(CONFIG_FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(c));
        } catch (IOException e) {
            throw new ModelException(dir, "cannot write " + CONFIG_FILE + ": " + e.getMessage(), e);
        }
        saveWeights(dir.resolve(WEIGHTS_FILE));
    }

    /** Writes the adapters' values (and the dropout pass counter) as one safetensors file in PEFT's naming. */
    @Override
    public void saveWeights(Path file) {
        List<TensorSpec> specs = new ArrayList<>();
        for (Parameter p : parameters.values()) {
            specs.add(TensorSpec.of(FILE_PREFIX + p.getName(), shape(p.getName()).getShape()));
        }
        new SafetensorsWriter().withMetadata(Map.of(PASSES, Long.toString(passes)))
                .writeFile(file, specs, spec -> NativeArrays.view(
                        parameters.get(spec.name().substring(FILE_PREFIX.length())).getArray()));
    }

    private Shape shape(String name) {
        Matcher m = NAME.matcher(name);
        if (!m.matches()) {
            throw new IllegalArgumentException("not an adapter name: " + name);
        }
        long[] io = inOut(model, m.group(2));
        return m.group(3).equals("A") ? new Shape(config.rank(), io[0]) : new Shape(io[1], config.rank());
    }

    private void attach(Parameter p, NDArray array) {
        NDScope.unregister(array);
        p.setArray(array);
    }

    public LoraConfig config() {
        return config;
    }

    @Override
    public NDArray delta(int layer, String target, NDArray x) {
        Parameter[] ab = projections.get(layer + "." + target);
        if (ab == null) {
            return null;
        }
        NDArray in = active >= 0 && config.dropout() > 0 ? x.mul(dropoutMask(layer, target, x)) : x;
        NDArray down = Linear.linear(in, ab[0].getArray()).singletonOrThrow();          // [..., r]
        NDArray up = Linear.linear(down, ab[1].getArray()).singletonOrThrow();          // [..., out]
        return Scalars.mul(up, config.scaling());
    }

    /** Inverted-dropout mask for x: 0 with probability p, else 1 / (1 − p); the same for the same pass and place. */
    private NDArray dropoutMask(int layer, String target, NDArray x) {
        long key = seed * 0x9E3779B97F4A7C15L + active * 0xC2B2AE3D27D4EB4FL + layer * 0x165667B19E3779F9L
                + LoraConfig.ALL_TARGETS.indexOf(target);
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            JniUtils.setSeed(key);
            NDArray u = x.getManager().randomUniform(0f, 1f, x.getShape(), DataType.FLOAT32);
            return u.gte((float) config.dropout()).toType(DataType.FLOAT32, false)
                    .div((float) (1 - config.dropout()));
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    /** The weight-space update {@code (α / r) B A} [out, in] of a projection, or null when it has no adapter. */
    @Override
    public NDArray weightDelta(int layer, String target) {
        Parameter[] ab = projections.get(layer + "." + target);
        if (ab == null) {
            return null;
        }
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            return ab[1].getArray().matMul(ab[0].getArray()).muli((float) config.scaling());
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    @Override
    public Map<String, Parameter> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    @Override
    public LoraAdapters copy(NDManager parent) {
        LoraAdapters c = new LoraAdapters(model, config, parent, seed);
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            NDArray dup = NativeArrays.empty(c.manager, e.getValue().getArray().getShape());
            NativeArrays.copy(e.getValue().getArray(), dup);
            c.attach(c.parameters.get(e.getKey()), dup);
        }
        c.passes = passes;
        c.baseModel = baseModel;
        return c;
    }

    @Override
    public void copyFrom(Adapters source) {
        Map<String, Parameter> from = source.parameters();
        if (!from.keySet().equals(parameters.keySet())) {
            throw new IllegalArgumentException("adapters of a different layout");
        }
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            NativeArrays.copy(from.get(e.getKey()).getArray(), e.getValue().getArray());
        }
        if (source instanceof LoraAdapters l) {
            passes = l.passes;
        }
    }

    @Override
    public long beginPass(long replay) {
        active = replay >= 0 ? replay : passes++;
        return active;
    }

    @Override
    public void endPass() {
        active = -1;
    }

    @Override
    public void close() {
        manager.close();
    }
}
