package dev.groupflow.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A decoder-only causal language model (Llama / Qwen2 / Qwen3): token embedding, N {@link DecoderLayer}s,
 * a final {@link RmsNorm} and an LM head (tied to the embedding or not).
 *
 * <p>All parameters live in this model's {@link NDManager} on its device. Callers run forward passes inside
 * their own {@link NDScope} (or sub-manager) so temporaries never reach the model's manager.
 *
 * <p>Parameters are stored in groupflow's fused layout (see {@link Attention}, {@link Mlp});
 * {@link #slots()} maps every Hugging Face tensor name to its place, which is how checkpoints load and save.
 */
public final class CausalLm extends LmBlock implements AutoCloseable {
    private final ModelConfig config;
    private final NDManager manager;
    private final Parameter embedding;  // [V, E]
    private final List<DecoderLayer> layers = new ArrayList<>();
    private final RmsNorm finalNorm;
    private final Parameter lmHead;     // [V, E], or null when tied to the embedding
    private final Rope rope;
    private NDArray suppressBias;       // [V]: 0, or MASKED for ids the policy never produces; null = none
    private Set<Integer> suppressed = Set.of();
    private TrainingMemory trainingMemory = TrainingMemory.DEFAULT;
    private Adapters adapters;          // null: no low-rank updates
    private boolean sharedBase;         // the base arrays belong to another model (a view)
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final List<TensorSlot> slots = new ArrayList<>();

    private CausalLm(ModelConfig config, NDManager manager) {
        this.config = config;
        this.manager = manager;
        this.embedding = param("embed_tokens", Parameter.Type.WEIGHT);
        for (int i = 0; i < config.numLayers(); i++) {
            layers.add(addChildBlock("layer" + i, new DecoderLayer(config, i)));
        }
        this.finalNorm = addChildBlock("norm", new RmsNorm(config.rmsNormEps()));
        this.lmHead = config.tieWordEmbeddings() ? null : param("lm_head", Parameter.Type.WEIGHT);
        this.rope = new Rope(manager, config);
        mapTensors();
    }

    /** Creates a model with no arrays yet; use {@link #random} or {@link HfCheckpoints#load} instead. */
    static CausalLm empty(ModelConfig config, NDManager parent) {
        return new CausalLm(config, parent.newSubManager());
    }

    private void mapTensors() {
        long e = config.hiddenSize();
        long h = config.numHeads();
        long kv = config.numKvHeads();
        long d = config.headDim();
        long inter = config.intermediateSize();
        long v = config.vocabSize();
        slot("model.embed_tokens.weight", "model.embed_tokens.weight", embedding, new long[] {v, e}, 0);
        for (int i = 0; i < layers.size(); i++) {
            String p = "model.layers." + i + ".";
            DecoderLayer layer = layers.get(i);
            Attention a = layer.attention();
            Mlp m = layer.mlp();
            slot(p + "input_layernorm.weight", p + "input_layernorm.weight", layer.inputNorm().weight(),
                    new long[] {e}, 0);
            String qkv = p + "self_attn.qkv_proj.weight";
            slot(p + "self_attn.q_proj.weight", qkv, a.qkvWeight(), new long[] {h * d, e}, 0);
            slot(p + "self_attn.k_proj.weight", qkv, a.qkvWeight(), new long[] {kv * d, e}, h * d);
            slot(p + "self_attn.v_proj.weight", qkv, a.qkvWeight(), new long[] {kv * d, e}, (h + kv) * d);
            if (a.qkvBias() != null) {
                String qkvB = p + "self_attn.qkv_proj.bias";
                slot(p + "self_attn.q_proj.bias", qkvB, a.qkvBias(), new long[] {h * d}, 0);
                slot(p + "self_attn.k_proj.bias", qkvB, a.qkvBias(), new long[] {kv * d}, h * d);
                slot(p + "self_attn.v_proj.bias", qkvB, a.qkvBias(), new long[] {kv * d}, (h + kv) * d);
            }
            slot(p + "self_attn.o_proj.weight", p + "self_attn.o_proj.weight", a.oWeight(), new long[] {e, h * d}, 0);
            if (a.oBias() != null) {
                slot(p + "self_attn.o_proj.bias", p + "self_attn.o_proj.bias", a.oBias(), new long[] {e}, 0);
            }
            if (a.qNorm() != null) {
                slot(p + "self_attn.q_norm.weight", p + "self_attn.q_norm.weight", a.qNorm(), new long[] {d}, 0);
                slot(p + "self_attn.k_norm.weight", p + "self_attn.k_norm.weight", a.kNorm(), new long[] {d}, 0);
            }
            slot(p + "post_attention_layernorm.weight", p + "post_attention_layernorm.weight",
                    layer.postAttentionNorm().weight(), new long[] {e}, 0);
            String gu = p + "mlp.gate_up_proj.weight";
            slot(p + "mlp.gate_proj.weight", gu, m.gateUpWeight(), new long[] {inter, e}, 0);
            slot(p + "mlp.up_proj.weight", gu, m.gateUpWeight(), new long[] {inter, e}, inter);
            if (m.gateUpBias() != null) {
                String guB = p + "mlp.gate_up_proj.bias";
                slot(p + "mlp.gate_proj.bias", guB, m.gateUpBias(), new long[] {inter}, 0);
                slot(p + "mlp.up_proj.bias", guB, m.gateUpBias(), new long[] {inter}, inter);
            }
            slot(p + "mlp.down_proj.weight", p + "mlp.down_proj.weight", m.downWeight(), new long[] {e, inter}, 0);
            if (m.downBias() != null) {
                slot(p + "mlp.down_proj.bias", p + "mlp.down_proj.bias", m.downBias(), new long[] {e}, 0);
            }
        }
        slot("model.norm.weight", "model.norm.weight", finalNorm.weight(), new long[] {e}, 0);
        if (lmHead != null) {
            slot("lm_head.weight", "lm_head.weight", lmHead, new long[] {v, e}, 0);
        }
    }

    private void slot(String hfName, String paramName, Parameter p, long[] shape, long rowOffset) {
        parameters.putIfAbsent(paramName, p);
        slots.add(new TensorSlot(hfName, p, shape, rowOffset));
    }

    /** The architecture. */
    public ModelConfig config() {
        return config;
    }

    /** The manager that owns the parameters (device: {@link #device()}). */
    public NDManager manager() {
        return manager;
    }

    public Device device() {
        return manager.getDevice();
    }

    /** Parameters by groupflow name (fused q/k/v and gate/up), in a fixed order. */
    public Map<String, Parameter> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    /** Every Hugging Face tensor and where it lives, in checkpoint order. */
    public List<TensorSlot> slots() {
        return Collections.unmodifiableList(slots);
    }

    /** Full shape of a groupflow parameter (rows of all its slots stacked). */
    Shape parameterShape(Parameter p) {
        long rows = 0;
        long[] first = null;
        for (TensorSlot s : slots) {
            if (s.parameter() == p) {
                rows += s.shape()[0];
                first = first == null ? s.shape() : first;
            }
        }
        long[] shape = first.clone();
        shape[0] = rows;
        return new Shape(shape);
    }

    /** Number of scalar parameters. */
    public long parameterCount() {
        long n = 0;
        for (Parameter p : parameters.values()) {
            n += p.getArray().size();
        }
        return n;
    }

    /** Number of scalar parameters the optimizer trains: the adapters' with adapters, else all. */
    public long trainableParameterCount() {
        long n = 0;
        for (Parameter p : trainableParameters().values()) {
            n += p.getArray().size();
        }
        return n;
    }

    /**
     * Turns gradient tracking of the trained parameters on (the learner) or off (samplers, frozen reference). With
     * adapters the base weights are frozen: they never track gradients, whatever is asked. A view ({@link #baseView})
     * leaves the base arrays' tracking to the model they belong to: the lockstep sampler reads the learner's own
     * weights, and turning its gradients off must not turn the learner's off.
     */
    public void setRequiresGradient(boolean requires) {
        if (!sharedBase) {
            for (Parameter p : parameters.values()) {
                p.getArray().setRequiresGradient(requires && adapters == null);
            }
        }
        if (adapters != null) {
            for (Parameter p : adapters.parameters().values()) {
                p.getArray().setRequiresGradient(requires);
            }
        }
    }

    /** What the optimizer updates: the adapters' parameters when there are adapters, else every parameter. */
    public Map<String, Parameter> trainableParameters() {
        return adapters == null ? parameters() : adapters.parameters();
    }

    /** The low-rank adapters on this model's projections, or null. */
    public Adapters adapters() {
        return adapters;
    }

    /**
     * Puts adapters on this model's projections (owned by the model from now on: closed with it); the base weights
     * are frozen from then on.
     */
    public void attachAdapters(Adapters a) {
        if (adapters != null) {
            throw new IllegalStateException("this model has adapters already");
        }
        adapters = a;
        for (DecoderLayer layer : layers) {
            layer.setAdapters(a);
        }
        for (Parameter p : parameters.values()) {
            p.getArray().setRequiresGradient(false);
        }
    }

    /**
     * The same base weights without adapters, sharing their memory (nothing copied): with adapters, the KL reference
     * model. The view must be closed before this model; closing it frees nothing of this model's.
     */
    public CausalLm baseView(NDManager parent) {
        CausalLm view = empty(config, parent);
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            view.parameters.get(e.getKey()).setArray(e.getValue().getArray());
        }
        view.sharedBase = true;
        view.suppressTokens(suppressed);
        view.trainingMemory = trainingMemory;
        return view;
    }

    /**
     * Starts a training forward pass of the adapters (dropout on) and returns its number; {@code replay} ≥ 0 runs
     * pass {@code replay} again with the same dropout masks. Without adapters: nothing, -1.
     */
    long beginAdapterPass(long replay) {
        return adapters == null ? -1 : adapters.beginPass(replay);
    }

    /** Ends the adapters' training pass (dropout off). */
    void endAdapterPass() {
        if (adapters != null) {
            adapters.endPass();
        }
    }

    /** Attaches an array (already on this model's device, F32, the parameter's full shape) to a parameter. */
    void attach(Parameter p, NDArray array) {
        Shape expected = parameterShape(p);
        if (!array.getShape().equals(expected)) {
            throw new IllegalArgumentException("parameter " + p.getName() + ": shape " + array.getShape()
                    + " != " + expected);
        }
        array.attach(manager);
        NDScope.unregister(array);
        p.setArray(array);
    }

    /** Supplies the F32 data of Hugging Face tensors, a range of elements at a time. */
    @FunctionalInterface
    public interface TensorSource {
        /**
         * Writes elements {@code [first, first + count)} of the slot's tensor (row-major) as native-order floats
         * into {@code dst}, from its position.
         */
        void read(TensorSlot slot, long first, int count, ByteBuffer dst);
    }

    /**
     * Builds a model whose every parameter is assembled from Hugging Face tensors: each parameter is allocated by
     * PyTorch and its tensors are written into its memory a chunk at a time (fused parameters hold several tensors
     * at their row offsets), so no Java buffer ever holds a whole tensor ({@link NativeArrays}).
     */
    static CausalLm fromTensors(ModelConfig config, NDManager parent, TensorSource source) {
        CausalLm model = empty(config, parent);
        try {
            for (Parameter p : model.parameters.values()) {
                NDArray array = NativeArrays.empty(model.manager, model.parameterShape(p));
                List<TensorSlot> parts = model.slots.stream().filter(s -> s.parameter() == p).toList();
                NativeArrays.fill(array, (first, count, dst) -> {
                    // the chunk [first, first + count) of the parameter may span several of its tensors
                    long end = first + count;
                    for (TensorSlot slot : parts) {
                        long from = slot.rowOffset() * slot.rowElements();
                        long to = from + slot.elements();
                        long a = Math.max(first, from);
                        long b = Math.min(end, to);
                        if (a < b) {
                            ByteBuffer part = dst.duplicate().order(ByteOrder.nativeOrder());
                            part.position(Math.toIntExact((a - first) * Float.BYTES));
                            part.limit(Math.toIntExact((b - first) * Float.BYTES));
                            source.read(slot, a - from, (int) (b - a), part.slice().order(ByteOrder.nativeOrder()));
                        }
                    }
                });
                model.attach(p, array);
            }
            return model;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /**
     * A model with random weights, as Hugging Face initialises them: projections and embeddings ~ N(0, 0.02²),
     * norm weights 1, biases 0. Deterministic for a seed on every machine (the numbers come from Java).
     */
    public static CausalLm random(ModelConfig config, NDManager parent, long seed) {
        CausalLm model = empty(config, parent);
        Random rng = new Random(seed);
        for (Map.Entry<String, Parameter> entry : model.parameters.entrySet()) {
            Parameter p = entry.getValue();
            NDArray array = NativeArrays.empty(model.manager, model.parameterShape(p));
            NativeArrays.fill(array, (first, count, dst) -> {
                FloatBuffer out = dst.asFloatBuffer();
                for (int i = 0; i < count; i++) { // chunks come in order: the same numbers as one pass
                    out.put(i, switch (p.getType()) {
                        case GAMMA -> 1f;
                        case WEIGHT -> (float) (rng.nextGaussian() * 0.02);
                        default -> 0f;
                    });
                }
            });
            model.attach(p, array);
        }
        return model;
    }

    /**
     * The hidden states after the final norm.
     *
     * @param inputIds [B, T] int64
     * @param positions [B, T] int64 position ids
     * @param bias [B, 1, 1, T, S] additive attention bias (see {@link Masks#causalBias})
     * @param cache KV cache to read and extend, or null
     * @return [B, T, E]
     */
    public NDArray hidden(NDArray inputIds, NDArray positions, NDArray bias, KvCache cache) {
        int t = (int) inputIds.getShape().get(1);
        return hidden(inputIds, positions, (cache == null ? 0 : cache.length()) + t, bias, cache);
    }

    /**
     * As {@link #hidden(NDArray, NDArray, NDArray, KvCache)}, with the caller saying how far positions go: a cache
     * with padding between a sequence's parts (episodes whose turns were batched with others) has more columns
     * than its sequences have positions.
     *
     * @param positionLimit one more than the largest position id in {@code positions}
     */
    public NDArray hidden(NDArray inputIds, NDArray positions, int positionLimit, NDArray bias, KvCache cache) {
        int t = (int) inputIds.getShape().get(1);
        NDList cossin = rope.at(positions, positionLimit);
        NDArray x = embed(inputIds);                                                 // [B, T, E]
        for (DecoderLayer layer : layers) {
            NDArray y;
            try (NDScope ignored = new NDScope()) {
                // a layer's temporaries are freed as soon as it is done: what autograd saves for the backward pass
                // it keeps itself, so only that (and nothing without autograd) outlives the layer
                y = layer.forward(x, cossin.get(0), cossin.get(1), bias, cache);
                NDScope.unregister(y);
            }
            NDScope.register(y);
            x = y;
        }
        if (cache != null) {
            cache.advance(t);
        }
        return finalNorm.forward(x);
    }

    /** Token embeddings: [B, T] int64 → [B, T, E]. */
    NDArray embed(NDArray inputIds) {
        return Embedding.embedding(inputIds, embedding.getArray(), SparseFormat.DENSE).singletonOrThrow();
    }

    /** Whether the token embedding takes gradients (it does not when frozen under adapters). */
    boolean embeddingTrained() {
        return embedding.getArray().hasGradient();
    }

    /** Rotary cos and sin at the given positions ({@link Rope#at}). */
    NDList rotary(NDArray positions, int maxPosition) {
        return rope.at(positions, maxPosition);
    }

    /** The decoder layers, in order. */
    List<DecoderLayer> layers() {
        return Collections.unmodifiableList(layers);
    }

    /** The norm applied after the last layer. */
    RmsNorm finalNorm() {
        return finalNorm;
    }

    /** Logits of hidden states: [..., E] → [..., V] (suppressed ids at {@link Masks#MASKED}). */
    public NDArray logits(NDArray hidden) {
        NDArray head = lmHead == null ? embedding.getArray() : lmHead.getArray();
        NDArray logits = Linear.linear(hidden, head).singletonOrThrow();
        return suppressBias == null ? logits : logits.add(suppressBias);
    }

    /**
     * Makes the policy give these ids no probability at all (padding, a beginning marker: tokens a completion
     * must never contain). It is part of the policy's distribution, so sampling, the learner's log-probabilities
     * and the reference model all see the same one; a sampling-only ban would let training leak probability mass
     * into tokens that are never sampled and so never pushed back down.
     */
    public void suppressTokens(Set<Integer> ids) {
        if (suppressBias != null) {
            suppressBias.close();
            suppressBias = null;
        }
        suppressed = Set.copyOf(ids);
        if (ids.isEmpty()) {
            return;
        }
        float[] bias = new float[config.vocabSize()];
        for (int id : ids) {
            if (id < 0 || id >= bias.length) {
                throw new IllegalArgumentException("cannot suppress token " + id + ": vocabulary is " + bias.length);
            }
            bias[id] = Masks.MASKED;
        }
        suppressBias = manager.create(bias);
        NDScope.unregister(suppressBias);
    }

    /** How log-probabilities are computed for training and evaluation: logits chunk size, recomputation. */
    public TrainingMemory trainingMemory() {
        return trainingMemory;
    }

    public void setTrainingMemory(TrainingMemory memory) {
        this.trainingMemory = Objects.requireNonNull(memory);
    }

    /** Ids the policy never produces. */
    public Set<Integer> suppressedTokens() {
        return suppressed;
    }

    /**
     * Full forward over a left-padded batch, no cache.
     *
     * @param inputIds [B, T] int64
     * @param mask [B, T] float32 (1 = real token, 0 = padding)
     * @return logits [B, T, V]
     */
    public NDArray forward(NDArray inputIds, NDArray mask) {
        int t = (int) inputIds.getShape().get(1);
        return logits(hidden(inputIds, Masks.positions(mask), Masks.causalBias(mask, t), null));
    }

    @Override
    protected NDArray forward(NDArray inputIds) {
        NDArray mask = inputIds.onesLike().toType(DataType.FLOAT32, false);
        return forward(inputIds, mask);
    }

    /**
     * Copies every parameter value from a model of the same config (a sampler replica taking new weights): base
     * weights the two share are skipped, adapters are copied when both have them.
     */
    public void copyWeightsFrom(CausalLm source) {
        if (!source.config.equals(config)) {
            throw new IllegalArgumentException("cannot copy weights between different architectures");
        }
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            NDArray from = source.parameters.get(e.getKey()).getArray();
            NDArray to = e.getValue().getArray();
            if (from != to) {
                NativeArrays.copy(from, to);
            }
        }
        if (adapters != null && source.adapters != null) {
            adapters.copyFrom(source.adapters);
        } else if (source.adapters != null) {
            addWeightDeltas(source.adapters); // a merged replica: the base plus the adapters' updates
        } else if (adapters != null) {
            throw new IllegalArgumentException("cannot copy weights without adapters into a model with adapters");
        }
    }

    /**
     * A model of its own (no adapters) whose weights are this model's with the adapters merged in: W + (α / r) B A
     * for every adapted projection (the sampler's replica with {@code lora.sampler = merged}).
     */
    public CausalLm merged(NDManager parent) {
        CausalLm c = empty(config, parent);
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            NDArray dup = NativeArrays.empty(c.manager, e.getValue().getArray().getShape());
            NativeArrays.copy(e.getValue().getArray(), dup);
            c.attach(c.parameters.get(e.getKey()), dup);
        }
        c.suppressTokens(suppressed);
        c.trainingMemory = trainingMemory;
        if (adapters != null) {
            c.addWeightDeltas(adapters);
        }
        return c;
    }

    /** Adds every adapted projection's weight update to the rows of its (fused) parameter, in place. */
    private void addWeightDeltas(Adapters a) {
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (TensorSlot slot : slots) {
                int[] at = projectionOf(slot.hfName());
                if (at == null) {
                    continue;
                }
                try (NDScope ignored = new NDScope()) {
                    NDArray delta = a.weightDelta(at[0], PROJECTIONS.get(at[1]));               // [out, in]
                    if (delta != null) {
                        slot.parameter().getArray()
                                .get(new NDIndex().addSliceDim(slot.rowOffset(),
                                        slot.rowOffset() + slot.shape()[0]))
                                .addi(delta);                                                    // a view: in place
                    }
                }
            }
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    /** Hugging Face projection names, in {@link #projectionOf}'s numbering. */
    static final List<String> PROJECTIONS = List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
            "down_proj");
    private static final Pattern PROJECTION_WEIGHT = Pattern.compile(
            "model\\.layers\\.(\\d+)\\.(?:self_attn|mlp)\\.(\\w+_proj)\\.weight");

    /** {layer, projection index} of a projection's weight tensor name, or null for any other tensor. */
    static int[] projectionOf(String hfName) {
        Matcher m = PROJECTION_WEIGHT.matcher(hfName);
        return m.matches() ? new int[] {Integer.parseInt(m.group(1)), PROJECTIONS.indexOf(m.group(2))} : null;
    }

    /**
     * Moves every parameter towards another model's: {@code this ← α · other + (1 − α) · this} (the TR-DPO-style
     * reference-model sync; α = 1 copies). Runs without autograd.
     */
    public void blendFrom(CausalLm other, double alpha) {
        if (sharedBase || adapters != null) {
            throw new IllegalStateException("frozen base weights shared with adapters cannot move");
        }
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
                try (NDScope ignored = new NDScope()) {
                    NDArray dst = e.getValue().getArray();
                    NDArray src = other.parameters.get(e.getKey()).getArray();
                    dst.muli((float) (1 - alpha)).addi(src.mul((float) alpha));
                }
            }
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    /**
     * A copy on the given manager's device (a sampler replica, or a frozen reference model). With adapters only the
     * adapters are copied and the frozen base weights are shared (a view of them, as {@link #baseView}).
     */
    public CausalLm copy(NDManager parent) {
        if (adapters != null || sharedBase) {
            CausalLm view = baseView(parent);
            if (adapters != null) {
                view.attachAdapters(adapters.copy(view.manager));
            }
            return view;
        }
        CausalLm c = empty(config, parent);
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            NDArray dup;
            try (NDScope ignored = new NDScope()) {
                NDArray detached = e.getValue().getArray().stopGradient(); // no autograd history in the copy
                dup = detached.getDevice().equals(c.device())
                        ? detached.duplicate() : detached.toDevice(c.device(), true);
                NDScope.unregister(dup);
            }
            c.attach(c.parameters.get(e.getKey()), dup);
        }
        c.suppressTokens(suppressed);
        c.trainingMemory = trainingMemory;
        return c;
    }

    @Override
    public void close() {
        if (adapters != null) {
            adapters.close();
        }
        rope.close();
        manager.close();
    }
}
