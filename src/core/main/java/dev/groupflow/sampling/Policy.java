package dev.groupflow.sampling;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.HfCheckpoints;
import dev.groupflow.model.ModelException;
import dev.groupflow.model.tokenizer.TextTokenizer;
import dev.groupflow.model.tokenizer.Tokenizers;
import java.nio.file.Path;
import java.util.HashSet;

/** A model with its tokenizer, on one device; closing it frees both. */
public final class Policy implements AutoCloseable {
    private final NDManager manager;
    private final CausalLm model;
    private final TextTokenizer tokenizer;

    public Policy(NDManager manager, CausalLm model, TextTokenizer tokenizer) {
        if (tokenizer.vocabSize() > model.config().vocabSize()) {
            throw new ModelException(null, "the tokenizer has " + tokenizer.vocabSize()
                    + " ids but the model's vocab_size is " + model.config().vocabSize());
        }
        this.manager = manager;
        this.model = model;
        this.tokenizer = tokenizer;
    }

    /** Loads a checkpoint directory (weights and tokenizer) onto a device. */
    public static Policy load(Path dir, Device device) {
        return load(dir, dir, device);
    }

    /**
     * Loads weights from {@code weightsDir} (a model directory, or a training checkpoint of it) and the tokenizer from
     * {@code tokenizerDir} (the model's own directory) onto a device. Tokens the tokenizer never generates are
     * suppressed in the model.
     */
    public static Policy load(Path weightsDir, Path tokenizerDir, Device device) {
        NDManager manager = NDManager.newBaseManager(device);
        TextTokenizer tokenizer = null;
        try {
            CausalLm model = HfCheckpoints.load(weightsDir, manager);
            tokenizer = Tokenizers.load(tokenizerDir, new HashSet<>(model.config().eosTokenIds()));
            model.suppressTokens(tokenizer.neverGenerated());
            return new Policy(manager, model, tokenizer);
        } catch (RuntimeException e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            manager.close();
            throw e;
        }
    }

    public CausalLm model() {
        return model;
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    public NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        tokenizer.close();
        model.close();
        manager.close();
    }
}
