package dev.groupflow.model;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
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
        NDManager manager = NDManager.newBaseManager(device);
        TextTokenizer tokenizer = null;
        try {
            CausalLm model = HfCheckpoints.load(dir, manager);
            tokenizer = Tokenizers.load(dir, new HashSet<>(model.config().eosTokenIds()));
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
