package dev.groupflow.pipeline;

import dev.groupflow.data.Prompt;
import dev.groupflow.model.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns a prompt row into the tokens the policy sees: the chat template applied to its messages (a text prompt
 * becomes one user message) when the template is in use, else the text as it is.
 */
public final class PromptEncoder {
    private final TextTokenizer tokenizer;
    private final boolean chat;
    private final int maxTokens;
    private final boolean failOnUnusable;
    private final boolean tasks;
    private final Map<String, Object> variables;

    public PromptEncoder(TextTokenizer tokenizer, String chatTemplate, int maxTokens) {
        this(tokenizer, chatTemplate, maxTokens, false);
    }

    /**
     * @param chatTemplate auto (use the tokenizer's template when it has one) | on | off
     * @param maxTokens prompts longer than this are refused ({@link Unusable})
     * @param failOnUnusable whether an unusable prompt stops the run ({@link #fatal}) rather than being skipped
     */
    public PromptEncoder(TextTokenizer tokenizer, String chatTemplate, int maxTokens, boolean failOnUnusable) {
        this(tokenizer, chatTemplate, maxTokens, failOnUnusable, Map.of());
    }

    /**
     * As {@link #PromptEncoder(TextTokenizer, String, int, boolean)}, rendering with extra template variables
     * ({@code data.chat-template-variables}, for example {@code enable_thinking = false}).
     */
    public PromptEncoder(TextTokenizer tokenizer, String chatTemplate, int maxTokens, boolean failOnUnusable,
                         Map<String, Object> variables) {
        this(tokenizer, chatTemplate, maxTokens, failOnUnusable, false, variables);
    }

    private PromptEncoder(TextTokenizer tokenizer, String chatTemplate, int maxTokens, boolean failOnUnusable,
                          boolean tasks, Map<String, Object> variables) {
        this.tasks = tasks;
        this.variables = Map.copyOf(variables);
        this.tokenizer = tokenizer;
        boolean has = tokenizer.chatTemplate() != null;
        if (chatTemplate.equals("on") && !has) {
            throw new IllegalArgumentException("data.chat-template = on but the tokenizer has no chat template");
        }
        this.chat = chatTemplate.equals("on") || (chatTemplate.equals("auto") && has);
        this.maxTokens = maxTokens;
        this.failOnUnusable = failOnUnusable;
    }

    /**
     * The encoder of an agent run's tasks: a task is handed to the environment, which decides what the policy sees
     * (its observations), so it is never rendered or tokenized here: every task is usable, with no tokens.
     */
    public static PromptEncoder tasks(TextTokenizer tokenizer) {
        return new PromptEncoder(tokenizer, "off", Integer.MAX_VALUE, false, true, Map.of());
    }

    /** Whether an unusable prompt must stop the run ({@code data.long-prompts = fail}). */
    public boolean fatal() {
        return failOnUnusable;
    }

    /** Whether prompts go through the chat template. */
    public boolean chat() {
        return chat;
    }

    /** Why a prompt cannot be used (too long, or text the tokenizer or template refuses). */
    public static final class Unusable extends Exception {
        private static final long serialVersionUID = 1L;

        Unusable(String message) {
            super(message);
        }
    }

    /** The prompt's tokens; a prompt that cannot be used is reported, never truncated or altered. */
    public int[] encode(Prompt prompt) throws Unusable {
        if (tasks) {
            return new int[0];
        }
        try {
            int[] tokens = tokenizer.encode(render(prompt));
            if (tokens.length == 0) {
                throw new Unusable("it encodes to no tokens");
            }
            if (tokens.length > maxTokens) {
                throw new Unusable(tokens.length + " tokens, more than the limit of " + maxTokens);
            }
            return tokens;
        } catch (RuntimeException e) {
            throw new Unusable(e.getMessage());
        }
    }

    /**
     * The prompt's reference trace in policy tokens, as a guided completion continues the prompt (no chat template,
     * no special tokens added), or null when it has none (or it encodes to nothing).
     */
    public int[] guidance(Prompt prompt) {
        if (tasks || prompt.guidance() == null) {
            return null;
        }
        int[] tokens = tokenizer.encode(prompt.guidance());
        return tokens.length == 0 ? null : tokens;
    }

    /** The prompt text the policy sees. */
    public String render(Prompt prompt) {
        String text;
        if (chat) {
            List<Map<String, Object>> messages = new ArrayList<>();
            if (prompt.messages() != null) {
                prompt.messages().forEach(m -> messages.add(Map.copyOf(m)));
            } else {
                messages.add(Map.of("role", "user", "content", prompt.text()));
            }
            text = tokenizer.applyChatTemplate(messages, true, variables);
        } else if (prompt.text() != null) {
            text = prompt.text();
        } else {
            StringBuilder sb = new StringBuilder();
            for (Map<String, String> m : prompt.messages()) {
                sb.append(sb.length() == 0 ? "" : "\n").append(m.get("content"));
            }
            text = sb.toString();
        }
        return text;
    }
}
