package dev.groupflow.pipeline;

import dev.groupflow.metrics.MajorityVote;
import dev.groupflow.metrics.PassAtK;
import dev.groupflow.verify.Outcome;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * The outcomes of an evaluation, per prompt, and what is reported of them: the mean reward over scored
 * completions (with a bootstrap interval over the prompts' mean rewards), how many completions failed, and pass@k
 * with its interval ({@link PassAtK}). A completion is correct when it was scored with a reward of at least the
 * threshold; a failed or timed-out one has no reward and counts as not correct, so n is always the samples drawn.
 *
 * <p>maj@n ({@link MajorityVote}): a prompt is solved by majority when the canonical answer most of its n
 * completions gave was scored correct; completions without an answer (failed, or a verifier that reads none) do not
 * vote. Reported with its interval over prompts, or null when no completion had an answer.
 */
final class EvalReport {
    private final int samples;
    private final double threshold;
    private final int[] correct;
    private final double[] rewardSum;
    private final int[] scoredOf;
    private final List<List<String>> answers = new ArrayList<>();   // per prompt, in sampling order
    private final List<List<Boolean>> answerCorrect = new ArrayList<>();
    private boolean anyAnswer;
    private int failed;
    private int fullReward;

    EvalReport(int prompts, int samples, double threshold) {
        this.samples = samples;
        this.threshold = threshold;
        this.correct = new int[prompts];
        this.rewardSum = new double[prompts];
        this.scoredOf = new int[prompts];
        for (int i = 0; i < prompts; i++) {
            answers.add(new ArrayList<>());
            answerCorrect.add(new ArrayList<>());
        }
    }

    /** One completion's outcome; a prompt's completions are added in sampling order (ties of a vote need it). */
    void add(int prompt, Outcome o) {
        if (!(o instanceof Outcome.Scored s)) {
            answers.get(prompt).add(null);
            answerCorrect.get(prompt).add(false);
            failed++;
            return;
        }
        answers.get(prompt).add(s.answer());
        answerCorrect.get(prompt).add(s.reward() >= threshold);
        anyAnswer |= s.answer() != null;
        scoredOf[prompt]++;
        rewardSum[prompt] += s.reward();
        correct[prompt] += s.reward() >= threshold ? 1 : 0;
        fullReward += s.reward() >= 1.0 ? 1 : 0;
    }

    Map<String, Object> toMap(List<Integer> extraK, long seed) {
        int prompts = correct.length;
        int scored = 0;
        double sum = 0;
        for (int i = 0; i < prompts; i++) {
            scored += scoredOf[i];
            sum += rewardSum[i];
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("mean_reward", scored == 0 ? null : sum / scored);
        r.put("mean_reward_ci95", interval(promptMeanRewards(), seed));
        r.put("prompts", prompts);
        r.put("samples_per_prompt", samples);
        r.put("completions_scored", scored);
        r.put("completions_failed", failed);
        r.put("fraction_full_reward", scored == 0 ? null : (double) fullReward / scored);
        r.put("pass_threshold", threshold);
        Map<String, Object> passAtK = new LinkedHashMap<>();
        TreeSet<Integer> ks = new TreeSet<>(extraK);
        ks.add(1);
        ks.add(samples);
        int[] n = new int[prompts];
        Arrays.fill(n, samples);
        for (int k : ks) {
            passAtK.put(Integer.toString(k), estimate(PassAtK.perPrompt(n, correct, k), seed));
        }
        r.put("pass_at_k", passAtK);
        r.put("maj_at_k", anyAnswer ? Map.of(Integer.toString(samples), estimate(majorityCorrect(), seed)) : null);
        r.put("ci_method", "95% percentile bootstrap over prompts, " + PassAtK.RESAMPLES + " resamples, seed " + seed);
        return r;
    }

    /** The mean over prompts and its interval: {@code {"estimate": ..., "ci95": [low, high]}}. */
    private static Map<String, Object> estimate(double[] perPrompt, long seed) {
        Map<String, Object> one = new LinkedHashMap<>();
        one.put("estimate", perPrompt.length == 0 ? null : PassAtK.mean(perPrompt));
        one.put("ci95", interval(perPrompt, seed));
        return one;
    }

    /** 1 for each prompt whose majority answer was correct, else 0. */
    private double[] majorityCorrect() {
        double[] out = new double[answers.size()];
        for (int i = 0; i < out.length; i++) {
            List<Boolean> flags = answerCorrect.get(i);
            boolean[] c = new boolean[flags.size()];
            for (int j = 0; j < c.length; j++) {
                c[j] = flags.get(j);
            }
            out[i] = MajorityVote.of(answers.get(i), c).correct() ? 1 : 0;
        }
        return out;
    }

    private double[] promptMeanRewards() {
        return IntStream.range(0, correct.length).filter(i -> scoredOf[i] > 0)
                .mapToDouble(i -> rewardSum[i] / scoredOf[i]).toArray();
    }

    private static double[] interval(double[] values, long seed) {
        PassAtK.Interval ci = PassAtK.bootstrap(values, seed);
        return ci == null ? null : ci.toArray();
    }
}
