package dev.groupflow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.nio.file.Path;
import java.util.Map;

/**
 * Trainable low-rank updates of a frozen model's linear projections (LoRA, {@code dev.groupflow.model.lora}): the
 * decoder asks for the update of each projection it runs and adds it to the projection's output.
 *
 * <p>Projection names are Hugging Face's: {@code q_proj}, {@code k_proj}, {@code v_proj}, {@code o_proj},
 * {@code gate_proj}, {@code up_proj}, {@code down_proj}.
 */
public interface Adapters extends AutoCloseable {

    /**
     * The update of projection {@code target} of layer {@code layer} for input {@code x} [..., in]: [..., out], or
     * null when that projection has no adapter.
     */
    NDArray delta(int layer, String target, NDArray x);

    /**
     * The weight-space update [out, in] of projection {@code target} of layer {@code layer} (what merging adds to
     * its weight), or null when that projection has no adapter. No autograd.
     */
    NDArray weightDelta(int layer, String target);

    /** The trained parameters, by name, in a fixed order (what the optimizer updates and checkpoints hold). */
    Map<String, Parameter> parameters();

    /** A deep copy on {@code parent}'s device (a sampler's replica of the adapters). */
    Adapters copy(NDManager parent);

    /** Copies every value from adapters of the same layout, in place. */
    void copyFrom(Adapters source);

    /** Writes the adapters into a directory in their own format, as a checkpoint holds them. */
    void save(Path dir);

    /** Writes the adapters' values as one file. */
    void saveWeights(Path file);

    /** Replaces the adapters' values with those of a file written by {@link #saveWeights}. */
    void readWeights(Path file);

    /**
     * Starts a training forward pass: dropout (if any) is on, with masks keyed by the returned pass number, until
     * {@link #endPass}. Passing the same number again replays the same masks (a recomputed layer).
     */
    long beginPass(long replay);

    /** Ends the training pass: no dropout until the next {@link #beginPass}. */
    void endPass();

    @Override
    void close();
}
