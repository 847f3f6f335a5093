package dev.groupflow.metrics;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Majority voting over the canonical answers of a prompt's completions (maj@k, DeepSeek-R1's cons@64; verl's
 * {@code calc_maj_val}): the answer given most often wins, completions without an answer ({@code null}: the
 * verifier read none, or it failed) do not vote, and a tie goes to the answer seen first. The vote is correct when
 * the winning answer's completions were scored correct (its first completion's score: equal canonical answers are
 * scored alike by a deterministic verifier).
 */
public final class MajorityVote {
    private MajorityVote() {
    }

    /**
     * @param answer the winning answer, or null when no completion gave one
     * @param correct whether it was scored correct (false without an answer)
     * @param votes how many completions gave it
     */
    public record Result(String answer, boolean correct, int votes) {
    }

    /**
     * @param answers each completion's canonical answer, in sampling order (null = none)
     * @param correct whether each completion was scored correct, same order
     */
    public static Result of(List<String> answers, boolean[] correct) {
        if (answers.size() != correct.length) {
            throw new IllegalArgumentException(answers.size() + " answers but " + correct.length + " scores");
        }
        Map<String, int[]> tally = new LinkedHashMap<>(); // answer → {votes, first index}; insertion = first seen
        for (int i = 0; i < answers.size(); i++) {
            String a = answers.get(i);
            if (a != null) {
                int at = i;
                tally.computeIfAbsent(a, k -> new int[] {0, at})[0]++;
            }
        }
        String best = null;
        int[] bestTally = null;
        for (Map.Entry<String, int[]> e : tally.entrySet()) {
            if (bestTally == null || e.getValue()[0] > bestTally[0]) { // strictly more: ties stay with the first seen
                best = e.getKey();
                bestTally = e.getValue();
            }
        }
        return best == null ? new Result(null, false, 0) : new Result(best, correct[bestTally[1]], bestTally[0]);
    }
}
