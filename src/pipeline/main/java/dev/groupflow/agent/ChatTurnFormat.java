package dev.groupflow.agent;

import dev.groupflow.jinja.ChatTemplate;
import dev.groupflow.jinja.TemplateException;
import dev.groupflow.model.tokenizer.TextTokenizer;
import dev.groupflow.sampling.Completion;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Chat turns rendered by the model's own chat template. The conversation is kept as messages: the first
 * observation's (or its text as one user message) and its tool schemas, then per turn an assistant message (the
 * turn's content and its well-formed tool calls, as {@code tool_calls} entries the template renders) and the
 * environment's messages (usually {@code tool} results). After each answer the whole conversation is rendered again
 * with a generation prompt and tokenized: when the template writes earlier turns exactly as the policy produced
 * them, the new tokens start with the old context and only the answer is new; when it does not (it drops earlier
 * reasoning, or re-serialises a call differently), the episode records a new context and the sampler recomputes
 * from where they differ. A turn ends with the tokenizer's end-of-sequence ids or the token the template closes an
 * assistant message with ({@link #turnEnds}), so a base model whose end-of-sequence token is another still stops at
 * the end of its turn.
 */
public final class ChatTurnFormat implements TurnFormat {
    private final TextTokenizer tokenizer;
    private final ChatTemplate template;
    private final ToolCallFormat tools;
    private final Map<String, Object> variables;
    private final String systemPrompt;
    private final int endOfTurn;

    /**
     * @param tools how the model writes tool calls ({@link ToolCallFormat#QWEN} for Qwen)
     * @param variables extra template variables (for example {@code enable_thinking}); may be empty
     */
    public ChatTurnFormat(TextTokenizer tokenizer, ChatTemplate template, ToolCallFormat tools,
                          Map<String, Object> variables) {
        this(tokenizer, template, tools, variables, null);
    }

    /**
     * @param systemPrompt a system message put first in every episode whose first observation does not start with
     *     one of its own (the run's {@code agent.system-prompt}), or null
     */
    public ChatTurnFormat(TextTokenizer tokenizer, ChatTemplate template, ToolCallFormat tools,
                          Map<String, Object> variables, String systemPrompt) {
        this.systemPrompt = systemPrompt;
        this.tokenizer = tokenizer;
        this.template = template;
        this.tools = tools;
        this.variables = Map.copyOf(variables);
        this.endOfTurn = endOfTurn(tokenizer, template, this.variables);
    }

    /**
     * The special token the template writes right after an assistant message's content (Qwen's
     * {@code <|im_end|>}), or -1 when it writes none (or refuses a plain user-assistant exchange).
     */
    static int endOfTurn(TextTokenizer tokenizer, ChatTemplate template, Map<String, Object> variables) {
        String mark = "groupflow-end-of-turn-probe";
        String text;
        try {
            text = template.render(List.of(Map.of("role", "user", "content", "hi"),
                    Map.of("role", "assistant", "content", mark)), false, variables);
        } catch (RuntimeException e) {
            return -1;
        }
        int at = text.lastIndexOf(mark);
        if (at < 0) {
            return -1;
        }
        for (int id : tokenizer.encode(text.substring(at + mark.length()))) {
            if (tokenizer.specialIds().contains(id)) {
                return id;
            }
        }
        return -1;
    }

    /** The tokenizer's end-of-sequence ids and the template's end-of-turn token. */
    @Override
    public Set<Integer> turnEnds(Set<Integer> eosIds) {
        if (endOfTurn < 0 || eosIds.contains(endOfTurn)) {
            return eosIds;
        }
        Set<Integer> ends = new LinkedHashSet<>(eosIds);
        ends.add(endOfTurn);
        return Set.copyOf(ends);
    }

    @Override
    public Transcript begin(Observation first) {
        Chat chat = new Chat(first.tools());
        boolean ownSystem = first.messages() != null && !first.messages().isEmpty()
                && "system".equals(first.messages().get(0).get("role"));
        if (systemPrompt != null && !ownSystem) {
            chat.messages.add(Map.of("role", "system", "content", systemPrompt));
        }
        chat.add(first);
        chat.context = chat.render();
        return chat;
    }

    private final class Chat implements Transcript {
        private final List<Map<String, Object>> messages = new ArrayList<>();
        private final List<Map<String, Object>> toolSchemas;
        private int[] context;

        Chat(List<Map<String, Object>> toolSchemas) {
            this.toolSchemas = toolSchemas;
        }

        void add(Observation o) {
            if (o.messages() != null) {
                messages.addAll(o.messages());
            } else {
                messages.add(Map.of("role", "user", "content", o.text()));
            }
        }

        int[] render() {
            Map<String, Object> vars = new LinkedHashMap<>(variables);
            if (toolSchemas != null) {
                vars.put("tools", toolSchemas);
            }
            String text;
            try {
                text = template.render(messages, true, vars);
            } catch (TemplateException e) {
                throw new EnvironmentFailure("the chat template refused the conversation: " + e.getMessage(), false);
            }
            try {
                return tokenizer.encode(text);
            } catch (IllegalArgumentException e) {
                throw new EnvironmentFailure("the rendered conversation cannot be tokenized: " + e.getMessage(),
                        false);
            }
        }

        @Override
        public int[] context() {
            return context;
        }

        @Override
        public Action act(Completion turn) {
            Action action = tools.parse(turn.text(), turn.truncated());
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", "assistant");
            message.put("content", action.content());
            if (!action.toolCalls().isEmpty()) {
                message.put("tool_calls", action.toolCalls().stream().map(ToolCall::asMessageEntry).toList());
            }
            messages.add(message);
            context = Episode.concat(context, turn.tokens());
            return action;
        }

        @Override
        public String observe(Observation observation) {
            add(observation);
            int[] before = context;
            context = render();
            int common = Arrays.mismatch(before, context);
            int from = common < 0 ? context.length : common;
            return tokenizer.decode(Arrays.copyOfRange(context, from, context.length), false);
        }
    }
}
