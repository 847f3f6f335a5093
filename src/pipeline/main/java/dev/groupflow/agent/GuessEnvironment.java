package dev.groupflow.agent;

import dev.groupflow.data.Prompt;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The built-in agent environment: find a hidden digit string by guessing. Each guess is answered per position with
 * {@code =} (right), {@code <} (the hidden digit is smaller) or {@code >} (larger), so a policy that halves each
 * digit's range finds a 3-digit string in at most 4 guesses; a position the guess leaves out or fills with another
 * character is answered {@code ?}; a chat turn without a {@code guess} call changes nothing.
 *
 * <p>Rewards: a guess's accuracy is its positions right over the longer of guess and secret (as the digit task
 * scores, so a wrong length costs); a step's reward is the change in accuracy since the previous guess minus the
 * turn cost, so the episode's return is the last guess's accuracy (1 when found; the episode then ends) minus the
 * cost of the turns taken: a turn that learns nothing (the same guess again) is never free. The partial credit gives a
 * policy trained from scratch a signal before it writes well-formed guesses. State keys are the history of guesses
 * and answers, so two episodes of a task that made the same guesses are in the same state (GiGPO's step groups).
 * Deterministic: the same actions always get the same answers.
 *
 * <p>Plain mode (the built-in tiny policy with its character tokenizer): the first observation is {@code ???:}, a
 * turn is the guess ({@code 503}), the answer is {@code <>=:}. Chat mode (a Hugging Face model): a user message
 * explains the task and a {@code guess} tool is offered; each call is answered with a {@code tool} message.
 */
public final class GuessEnvironment implements LocalEnvironment {
    /** The {@code guess} tool's schema (chat mode). */
    public static final Map<String, Object> GUESS_TOOL = guessTool();
    private final boolean chat;
    private final double turnCost;

    /** Without a turn cost. @param chat chat mode (messages and a tool) rather than plain text */
    public GuessEnvironment(boolean chat) {
        this(chat, 0);
    }

    /**
     * @param chat chat mode (messages and a tool) rather than plain text
     * @param turnCost subtracted from every step's reward ({@code agent.guess.turn-cost}, &ge; 0)
     */
    public GuessEnvironment(boolean chat, double turnCost) {
        if (!(turnCost >= 0 && turnCost < 1)) {
            throw new IllegalArgumentException("the turn cost must be in [0, 1), got " + turnCost);
        }
        this.chat = chat;
        this.turnCost = turnCost;
    }

    private static Map<String, Object> guessTool() {
        Map<String, Object> digits = new LinkedHashMap<>();
        digits.put("type", "string");
        digits.put("description", "the guessed digits, one per hidden digit");
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("type", "object");
        parameters.put("properties", Map.of("digits", digits));
        parameters.put("required", List.of("digits"));
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", "guess");
        function.put("description", "Guess the hidden digit string; the answer says per position = (right), "
                + "< (the hidden digit is smaller) or > (larger).");
        function.put("parameters", parameters);
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("type", "function");
        tool.put("function", function);
        return Collections.unmodifiableMap(tool);
    }

    /**
     * What keeps a task from being a game: null when its {@code answer} is a digit string (the hidden string), else
     * the reason, naming the field (a prompts file's rows are checked with it as they are read, so a bad row is
     * quarantined with its line number instead of failing its episodes).
     */
    public static String taskProblem(Prompt task) {
        String secret = task.answer();
        if (secret == null || secret.isEmpty() || !secret.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return "answer: the guess game's hidden string must be a non-empty string of digits 0-9, got "
                    + (secret == null ? "none" : "'" + secret + "'");
        }
        return null;
    }

    @Override
    public Session start(EpisodeStart start) {
        String problem = taskProblem(start.task());
        if (problem != null) {
            throw new EnvironmentFailure("task " + start.task().id() + ": " + problem, false);
        }
        return new Game(start.task().answer());
    }

    /** One episode: the secret and the history of guesses. */
    private final class Game implements Session {
        private final String secret;
        private final List<String> history = new ArrayList<>();
        private double lastAccuracy;

        Game(String secret) {
            this.secret = secret;
        }

        @Override
        public Observation first() {
            if (!chat) {
                return Observation.text(GuessTask.prompt(secret.length()), "");
            }
            String text = "Find the hidden string of " + secret.length() + " digits. Call the guess tool with "
                    + secret.length() + " digits; it answers per position: = right, < the hidden digit is smaller, "
                    + "> it is larger.";
            return Observation.messages(List.of(Map.of("role", "user", "content", text)), List.of(GUESS_TOOL), "");
        }

        @Override
        public Transition step(Action action) {
            String guess = guessOf(action);
            String g = guess == null ? "" : guess;
            StringBuilder feedback = new StringBuilder();
            int correct = 0;
            for (int i = 0; i < secret.length(); i++) {
                char c = i < g.length() ? g.charAt(i) : '?';
                char s = secret.charAt(i);
                if (c < '0' || c > '9') {
                    feedback.append('?');
                } else {
                    feedback.append(s == c ? '=' : s < c ? '<' : '>');
                    correct += s == c ? 1 : 0;
                }
            }
            // no guess at all (a chat turn without a call) changes nothing
            double accuracy = guess == null ? lastAccuracy : (double) correct / Math.max(secret.length(), g.length());
            double reward = accuracy - lastAccuracy - turnCost;
            lastAccuracy = accuracy;
            history.add(g + feedback);
            String key = String.join("|", history);
            return new Transition(observation(action, feedback.toString(), key), reward, g.equals(secret));
        }

        private Observation observation(Action action, String feedback, String key) {
            if (!chat) {
                return Observation.text(feedback + ":", key);
            }
            if (action.toolCalls().isEmpty()) {
                String hint = "Call the guess tool with " + secret.length() + " digits."
                        + (action.toolCallErrors().isEmpty() ? "" : " " + String.join("; ", action.toolCallErrors()));
                return Observation.messages(List.of(Map.of("role", "user", "content", hint)), null, key);
            }
            return Observation.messages(List.of(Map.of("role", "tool", "content", feedback)), null, key);
        }

        /** The guess: the first {@code guess} call's {@code digits}, or (plain mode) the turn's text. */
        private String guessOf(Action action) {
            for (ToolCall call : action.toolCalls()) {
                if (call.name().equals("guess")) {
                    Object digits = call.arguments().get("digits");
                    return digits == null ? null : digits.toString();
                }
            }
            return chat ? null : action.content().strip();
        }
    }
}
