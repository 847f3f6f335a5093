package dev.groupflow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;

/**
 * The learner's per-token log-probabilities, built so that their backward pass can run in pieces and never hold the
 * whole [B, C, V] logits or every layer's activations.
 *
 * <p>The caller differentiates its loss with respect to {@link #logprobs()} (a leaf), then calls {@link #backward}
 * to carry that gradient on into the model:
 * <ol>
 *   <li><b>LM head and log-softmax in chunks.</b> The forward pass computes the log-probabilities chunk by chunk
 *       without autograd ({@link TrainingMemory#rowsPerChunk} positions at a time). Backward runs each chunk again
 *       under autograd and back-propagates the loss's gradient for those positions into the head's weight and the
 *       final hidden states, then frees the chunk. Same numbers as one pass over [B, C, V], one chunk of logits
 *       alive at a time, at the price of a second head matmul.</li>
 *   <li><b>Recomputation per decoder layer</b> ({@link TrainingMemory#recompute}). The forward pass runs the layers
 *       without autograd and keeps only each layer's input [B, T, E]; backward walks the layers from the last to the
 *       first, runs each again under autograd from its saved input, back-propagates the gradient of its output into
 *       its parameters and its input, and frees the layer's graph before the next. Activation memory drops from all
 *       layers' intermediates to one layer's, for one more forward pass.</li>
 * </ol>
 * Back-propagating a gradient {@code g} into a tensor {@code y} is PyTorch's {@code y.backward(g)}: exactly the
 * gradient the whole graph would have produced. With neither (one chunk holds every position and recomputation is
 * off) this is the plain graph of {@link TokenLogprobs#compute} and {@link #backward} does nothing.
 *
 * <p>Everything is registered in the caller's {@link NDScope} (one per micro-batch). Adapters' dropout masks are
 * keyed by a pass number ({@link Adapters#beginPass}), so a recomputed layer draws exactly the masks it drew in the
 * forward pass.
 */
public final class LogprobGraph {
    /** What the graph computes of each predicted distribution's entropy. */
    public enum Entropy {
        /** Nothing. */
        NONE,
        /** Its value, a diagnostic without gradient. */
        VALUE,
        /** Its value with gradient: the loss may depend on {@link #entropy()} (an entropy bonus). */
        GRADIENT
    }

    private final CausalLm model;
    private final NDArray logprobs;       // [B, C]: with its graph (plain), or a leaf (explicit)
    private final NDArray entropy;        // [B, C] or null; with its graph or a leaf under Entropy.GRADIENT
    private final NDArray predicting;     // [B, C, E] final hidden states of the predicting positions, in the graph
    private final NDArray headInput;      // [N, E] the same values, a leaf the head chunks differentiate into
    private final NDArray tokens;         // [N] int64 the completion tokens
    private final double temperature;
    private final boolean entropyGradient;
    private final int rows;
    private final Layers layers;          // null unless recomputing
    private final long pass;              // the adapters' training pass (dropout masks to replay), or -1

    /** What recomputation keeps: each layer's input, the last layer's output (a leaf), and the shared constants. */
    private record Layers(List<NDArray> inputs, NDArray output, NDArray ids, NDArray cos, NDArray sin,
                          NDArray bias) {
    }

    private LogprobGraph(CausalLm model, NDArray logprobs, NDArray entropy, NDArray predicting, NDArray headInput,
                         NDArray tokens, double temperature, boolean entropyGradient, int rows, Layers layers,
                         long pass) {
        this.model = model;
        this.logprobs = logprobs;
        this.entropy = entropy;
        this.predicting = predicting;
        this.headInput = headInput;
        this.tokens = tokens;
        this.temperature = temperature;
        this.entropyGradient = entropyGradient;
        this.rows = rows;
        this.layers = layers;
        this.pass = pass;
    }

    /**
     * Forward pass over a packed batch (see {@link TokenLogprobs.Packed}); grad mode must be on.
     *
     * @param ids [B, P+C] int64
     * @param mask [B, P+C] float32
     * @param promptWidth P
     * @param completionIds [B, C] int64
     * @param temperature logits are divided by it (0 or 1: none)
     * @param withEntropy also compute the entropy of each predicted distribution (no gradient)
     */
    public static LogprobGraph forward(CausalLm model, NDArray ids, NDArray mask, int promptWidth,
                                       NDArray completionIds, double temperature, boolean withEntropy) {
        return forward(model, ids, mask, promptWidth, completionIds, temperature,
                withEntropy ? Entropy.VALUE : Entropy.NONE);
    }

    /**
     * {@link #forward(CausalLm, NDArray, NDArray, int, NDArray, double, boolean)} choosing what of the entropy to
     * compute; under {@link Entropy#GRADIENT} the loss may depend on {@link #entropy()} as well as on
     * {@link #logprobs()}, and {@link #backward} carries both gradients into the model.
     */
    public static LogprobGraph forward(CausalLm model, NDArray ids, NDArray mask, int promptWidth,
                                       NDArray completionIds, double temperature, Entropy entropy) {
        long pass = model.beginAdapterPass(-1);
        try {
            return forward(model, ids, mask, promptWidth, completionIds, temperature, entropy, pass);
        } finally {
            model.endAdapterPass();
        }
    }

    private static LogprobGraph forward(CausalLm model, NDArray ids, NDArray mask, int promptWidth,
                                        NDArray completionIds, double temperature, Entropy what, long pass) {
        boolean withEntropy = what != Entropy.NONE;
        boolean entropyGradient = what == Entropy.GRADIENT;
        TrainingMemory memory = model.trainingMemory();
        int b = (int) completionIds.getShape().get(0);
        int c = (int) completionIds.getShape().get(1);
        int rows = memory.rowsPerChunk(model.config().vocabSize());
        if (!memory.recompute() && (long) b * c <= rows) {
            NDList out = TokenLogprobs.compute(model, ids, mask, promptWidth, completionIds, temperature, withEntropy,
                    entropyGradient);
            return new LogprobGraph(model, out.get(0), withEntropy ? out.get(1) : null, null, null, null, temperature,
                    entropyGradient, rows, null, pass);
        }
        int width = (int) ids.getShape().get(1);
        NDArray positions = Masks.positions(mask);                                        // [B, T]
        NDArray bias = Masks.causalBias(mask, width);                                     // [B, 1, 1, T, T]
        NDArray hidden;                                                                   // [B, T, E]
        Layers layers = null;
        if (memory.recompute()) {
            layers = forwardKeepingInputs(model, ids, positions, bias, width);
            hidden = model.finalNorm().forward(layers.output());
        } else {
            hidden = model.hidden(ids, positions, bias, null);
        }
        NDArray predicting = hidden.get(":, {}:{}, :", promptWidth - 1, promptWidth - 1 + c);   // [B, C, E]
        long e = predicting.getShape().get(2);
        NDArray headInput = predicting.stopGradient().reshape(-1, e);                     // [N, E], a copy
        headInput.setRequiresGradient(true);
        NDArray tokens = completionIds.reshape(-1);                                      // [N]
        NDList values = TokenLogprobs.headChunked(model, headInput, tokens, temperature, withEntropy, rows);
        NDArray logprobs = values.get(0).reshape(b, c);
        logprobs.setRequiresGradient(true);
        NDArray entropy = withEntropy ? values.get(1).reshape(b, c) : null;
        if (entropyGradient) {
            entropy.setRequiresGradient(true);
        }
        return new LogprobGraph(model, logprobs, entropy, predicting, headInput, tokens, temperature,
                entropyGradient, rows, layers, pass);
    }

    /** Runs the layers without autograd, keeping each one's input; the last output becomes a leaf. */
    private static Layers forwardKeepingInputs(CausalLm model, NDArray ids, NDArray positions, NDArray bias,
                                               int width) {
        NDList cossin = model.rotary(positions, width);
        List<NDArray> inputs = new ArrayList<>();
        NDArray x;
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            x = model.embed(ids);                                                         // [B, T, E]
            for (DecoderLayer layer : model.layers()) {
                inputs.add(x);
                NDArray y;
                try (NDScope ignored = new NDScope()) {                                   // frees the layer's temporaries
                    y = layer.forward(x, cossin.get(0), cossin.get(1), bias, null);
                    NDScope.unregister(y);
                }
                NDScope.register(y);
                x = y;
            }
        } finally {
            JniUtils.setGradMode(gradMode);
        }
        x.setRequiresGradient(true);
        return new Layers(inputs, x, ids, cossin.get(0), cossin.get(1), bias);
    }

    /** Log-probabilities of the completion tokens [B, C]; differentiate the loss with respect to these. */
    public NDArray logprobs() {
        return logprobs;
    }

    /**
     * Entropy of each predicted distribution [B, C], or null when not asked for; differentiable under
     * {@link Entropy#GRADIENT}, a detached diagnostic otherwise.
     */
    public NDArray entropy() {
        return entropy;
    }

    /**
     * Carries the gradient the loss's backward pass left on {@link #logprobs()} (and on {@link #entropy()} under
     * {@link Entropy#GRADIENT}) into the model's parameters (the head chunk by chunk, then the decoder, layer by layer
     * when recomputing). Call once, with grad mode on, right after back-propagating the loss.
     */
    public void backward() {
        if (headInput == null) {
            return; // plain graph: the loss's backward pass went all the way
        }
        NDArray g = logprobs.getGradient().reshape(-1);                                  // [N] d loss / d logprobs
        NDArray gEntropy = entropyGradient ? entropy.getGradient().reshape(-1) : null;   // [N] d loss / d entropy
        long n = g.getShape().get(0);
        for (long from = 0; from < n; from += rows) {
            long to = Math.min(n, from + rows);
            try (NDScope ignored = new NDScope()) {
                NDList chunk = TokenLogprobs.head(model, headInput.get("{}:{}", from, to),
                        tokens.get("{}:{}", from, to), temperature, entropyGradient, entropyGradient); // [n] each
                if (gEntropy == null) {
                    backward(chunk.get(0), g.get("{}:{}", from, to));
                } else { // one backward pass for both: d(Σ logp · g + Σ H · gH)
                    NDArray both = chunk.get(0).mul(g.get("{}:{}", from, to))
                            .add(chunk.get(1).mul(gEntropy.get("{}:{}", from, to))).sum();
                    backward(both, both.onesLike());
                }
            }
        }
        NDArray gradHidden = headInput.getGradient().reshape(predicting.getShape());     // [B, C, E]
        backward(predicting, gradHidden);
        if (layers != null) {
            model.beginAdapterPass(pass); // the same dropout masks as the forward pass
            try {
                backwardThroughLayers();
            } finally {
                model.endAdapterPass();
            }
        }
    }

    /** From the last layer's output to the embedding, one recomputed layer at a time. */
    private void backwardThroughLayers() {
        NDArray grad = layers.output().getGradient();                                     // [B, T, E]
        List<DecoderLayer> decoder = model.layers();
        for (int i = decoder.size() - 1; i >= 0; i--) {
            NDArray x = layers.inputs().get(i);
            x.setRequiresGradient(true);
            NDArray next;
            try (NDScope ignored = new NDScope()) {                                       // frees the layer's graph
                NDArray y = decoder.get(i).forward(x, layers.cos(), layers.sin(), layers.bias(), null);
                backward(y, grad);
                next = x.getGradient();
                NDScope.unregister(next);
            }
            NDScope.register(next);
            grad.close();
            x.close();                                                                     // the saved input is done
            grad = next;
        }
        if (model.embeddingTrained()) { // frozen under adapters: the gradient stops at the first layer
            try (NDScope ignored = new NDScope()) {
                backward(model.embed(layers.ids()), grad);
            }
        }
    }

    /** {@code y.backward(gradient)}: accumulates d(Σ y · gradient) into every leaf y depends on. */
    private static void backward(NDArray y, NDArray gradient) {
        JniUtils.backward((PtNDArray) y, (PtNDArray) gradient, false, false);
    }
}
