package dev.groupflow.sampling;

import java.util.ArrayList;
import java.util.List;

/**
 * How completions are drawn.
 *
 * @param temperature softmax temperature; 0 means greedy (argmax)
 * @param topK keep only the k most likely tokens (0 = off)
 * @param topP keep the smallest set of most likely tokens whose probability reaches p (1 = off)
 * @param minP drop tokens whose probability is below minP times the most likely token's (0 = off)
 * @param maxNewTokens the most tokens a completion may have
 * @param stop stop strings: generation of a completion ends once its text contains one
 */
public record SamplingParams(double temperature, int topK, double topP, double minP, int maxNewTokens,
                             List<String> stop) {

    public SamplingParams {
        stop = List.copyOf(stop);
        List<String> problems = new ArrayList<>();
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            problems.add("temperature must be >= 0 (0 = greedy), got " + temperature);
        }
        if (topK < 0) {
            problems.add("top-k must be >= 0 (0 = off), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            problems.add("top-p must be in (0, 1], got " + topP);
        }
        if (!(minP >= 0 && minP < 1)) {
            problems.add("min-p must be in [0, 1), got " + minP);
        }
        if (maxNewTokens < 1) {
            problems.add("max new tokens must be >= 1, got " + maxNewTokens);
        }
        for (String s : stop) {
            if (s.isEmpty()) {
                problems.add("stop strings must not be empty");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
    }

    /** Plain sampling at temperature 1 with no truncation. */
    public static SamplingParams standard(int maxNewTokens) {
        return new SamplingParams(1.0, 0, 1.0, 0.0, maxNewTokens, List.of());
    }

    /** Greedy decoding. */
    public static SamplingParams greedy(int maxNewTokens) {
        return new SamplingParams(0.0, 0, 1.0, 0.0, maxNewTokens, List.of());
    }

    public boolean greedy() {
        return temperature == 0;
    }

    public SamplingParams withStop(List<String> stopStrings) {
        return new SamplingParams(temperature, topK, topP, minP, maxNewTokens, stopStrings);
    }
}
