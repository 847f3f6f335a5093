package dev.groupflow.agent;

import dev.groupflow.model.tokenizer.TextTokenizer;
import dev.groupflow.sampling.Completion;

/**
 * Plain text turns: the first observation's text is the prompt; each policy turn's tokens (its end-of-sequence
 * token included, which separates it from what follows) and then the environment's text are appended as they are.
 * The context only ever grows, so every turn continues the KV cache. Chat-message observations are refused.
 */
public final class PlainTurnFormat implements TurnFormat {
    private final TextTokenizer tokenizer;
    private final ToolCallFormat tools;

    /** @param tools how a turn's text becomes an action ({@link ToolCallFormat#PLAIN}: the text itself) */
    public PlainTurnFormat(TextTokenizer tokenizer, ToolCallFormat tools) {
        this.tokenizer = tokenizer;
        this.tools = tools;
    }

    @Override
    public Transcript begin(Observation first) {
        return new Plain(encode(first));
    }

    private int[] encode(Observation o) {
        if (o.text() == null) {
            throw new EnvironmentFailure("the plain turn format shows text observations, not chat messages", false);
        }
        try {
            return tokenizer.encode(o.text());
        } catch (IllegalArgumentException e) {
            throw new EnvironmentFailure("the observation cannot be tokenized: " + e.getMessage(), false);
        }
    }

    private final class Plain implements Transcript {
        private int[] context;

        Plain(int[] prompt) {
            if (prompt.length == 0) {
                throw new EnvironmentFailure("the first observation is empty", false);
            }
            this.context = prompt;
        }

        @Override
        public int[] context() {
            return context;
        }

        @Override
        public Action act(Completion turn) {
            context = Episode.concat(context, turn.tokens());
            return tools.parse(turn.text(), turn.truncated());
        }

        @Override
        public String observe(Observation observation) {
            context = Episode.concat(context, encode(observation));
            return observation.text();
        }
    }
}
