package dev.groupflow.verify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.groupflow.config.SectionReader;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Scores JSON output. The text is the whole completion or (source {@code fenced}) the last {@code ```json}
 * fenced block. Malformed JSON (trailing text and duplicate keys count as malformed), a completion over
 * {@code maxChars}, or a missing block scores 0. With {@code required} fields the value must be an object holding
 * all of them. With {@code compareAnswer} the row's answer must be a JSON object and the reward is the fraction of
 * the compared fields (the required ones, or all of the answer's when none are required) whose values equal the
 * answer's (numbers by value: 1 equals 1.0); a row whose answer is not a JSON object is a verifier failure.
 */
public final class JsonVerifier implements Verifier {
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final Comparator<JsonNode> BY_VALUE = (a, b) -> a.isNumber() && b.isNumber()
            ? a.decimalValue().compareTo(b.decimalValue()) : a.equals(b) ? 0 : 1;
    private final Settings settings;

    /**
     * @param fenced read the last ```json block instead of the whole completion
     * @param required fields the value must be an object with
     * @param compareAnswer compare fields with the row's answer (a JSON object)
     * @param maxChars longer completions score 0
     */
    public record Settings(boolean fenced, List<String> required, boolean compareAnswer, int maxChars) {
        public Settings {
            required = List.copyOf(required);
        }

        public static Settings read(SectionReader r) {
            return new Settings(r.choice("source", Set.of("completion", "fenced")).equals("fenced"),
                    r.strings("required"), r.bool("compare-answer"), r.atLeast("max-chars", 1));
        }
    }

    public JsonVerifier(Settings settings) {
        this.settings = settings;
    }

    @Override
    public CompletionStage<Reward> score(VerifyRequest request) {
        try {
            return CompletableFuture.completedFuture(scoreNow(request));
        } catch (VerifierFailure e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private Reward scoreNow(VerifyRequest request) {
        JsonNode expected = settings.compareAnswer() ? answerObject(request.answer()) : null;
        String text = request.completion();
        if (text.length() > settings.maxChars()) {
            return zero("the completion has " + text.length() + " characters, more than " + settings.maxChars());
        }
        if (settings.fenced()) {
            text = lastFence(text);
            if (text == null) {
                return zero("no ```json block");
            }
        }
        JsonNode value;
        try {
            value = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return zero("malformed JSON: " + e.getOriginalMessage());
        }
        if (value == null || value.isMissingNode()) {
            return zero("no JSON value");
        }
        if (!settings.required().isEmpty() || expected != null) {
            if (!value.isObject()) {
                return zero("not a JSON object");
            }
        }
        if (expected == null) {
            List<String> missing = settings.required().stream().filter(f -> !value.has(f)).toList();
            return missing.isEmpty() ? new Reward(1, Map.of(), "well-formed") : zero("missing fields " + missing);
        }
        List<String> fields = new ArrayList<>(settings.required());
        if (fields.isEmpty()) {
            expected.fieldNames().forEachRemaining(fields::add);
        }
        List<String> wrong = new ArrayList<>();
        for (String f : fields) {
            JsonNode want = expected.get(f);
            JsonNode got = value.get(f);
            if (want == null || got == null || !want.equals(BY_VALUE, got)) {
                wrong.add(f);
            }
        }
        double reward = fields.isEmpty() ? 1.0 : (fields.size() - wrong.size()) / (double) fields.size();
        return new Reward(reward, Map.of(), (fields.size() - wrong.size()) + "/" + fields.size() + " fields equal"
                + (wrong.isEmpty() ? "" : "; different or missing: " + wrong));
    }

    private static JsonNode answerObject(String answer) {
        if (answer == null) {
            throw VerifierFailure.permanent("verifier.json.compare-answer is on but the prompt row has no 'answer'");
        }
        try {
            JsonNode n = JSON.readTree(answer);
            if (n != null && n.isObject()) {
                return n;
            }
        } catch (JsonProcessingException e) {
            // reported below
        }
        throw VerifierFailure.permanent("verifier.json.compare-answer is on but the row's answer is not a JSON object");
    }

    /** The content of the last complete ```json fence, or null. One forward scan. */
    static String lastFence(String text) {
        String found = null;
        int from = 0;
        while (true) {
            int open = text.indexOf("```json", from);
            if (open < 0) {
                return found;
            }
            int close = text.indexOf("```", open + 7);
            if (close < 0) {
                return found;
            }
            found = text.substring(open + 7, close);
            from = close + 3;
        }
    }

    private static Reward zero(String why) {
        return new Reward(0, Map.of(), why);
    }
}
