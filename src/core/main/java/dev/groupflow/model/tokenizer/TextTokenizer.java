package dev.groupflow.model.tokenizer;

import dev.groupflow.jinja.ChatTemplate;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Text ⇄ token ids for a policy. Implementations: {@link HfTokenizer} (a Hugging Face {@code tokenizer.json})
 * and {@link CharTokenizer} (a small built-in character vocabulary for built-in tasks).
 */
public interface TextTokenizer extends AutoCloseable {

    /** Encodes text. Special-token text (such as {@code <|im_start|>}) maps to its id; nothing is added. */
    int[] encode(String text);

    /** Decodes ids; with {@code skipSpecialTokens} special tokens (eos, pad, chat markers) are left out. */
    String decode(int[] ids, boolean skipSpecialTokens);

    /** One more than the largest id this tokenizer can produce. */
    int vocabSize();

    /** Ids that end a completion. */
    Set<Integer> eosIds();

    /** The id used to pad batches (never attended to). */
    int padId();

    /** The id of a token's exact text, or -1 when the text is not a single token of the vocabulary. */
    int tokenId(String token);

    /** Special token ids (eos, pad, bos, chat markers...). */
    Set<Integer> specialIds();

    /**
     * Ids a completion must never contain (padding, a beginning-of-sequence marker). The policy is given no
     * probability for them ({@code CausalLm.suppressTokens}). Empty by default.
     */
    default Set<Integer> neverGenerated() {
        return Set.of();
    }

    /** The chat template, or null when the tokenizer has none. */
    default ChatTemplate chatTemplate() {
        return null;
    }

    /** Renders messages with the chat template (see {@link dev.groupflow.jinja.ChatTemplate}). */
    default String applyChatTemplate(List<Map<String, Object>> messages, boolean addGenerationPrompt,
                                     Map<String, Object> variables) {
        ChatTemplate t = chatTemplate();
        if (t == null) {
            throw new IllegalStateException("this tokenizer has no chat template");
        }
        return t.render(messages, addGenerationPrompt, variables);
    }

    @Override
    default void close() {
    }
}
