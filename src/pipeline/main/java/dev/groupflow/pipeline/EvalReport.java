package dev.groupflow.pipeline;

import dev.groupflow.metrics.PassAtK;
import dev.groupflow.verify.Outcome;
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
 */
final class EvalReport {
    private final int samples;
    private final double threshold;
    private final int[] correct;
    private final double[] rewardSum;
    private final int[] scoredOf;
    private int failed;
    private int fullReward;

    EvalReport(int prompts, int samples, double threshold) {
        this.samples = samples;
        this.threshold = threshold;
        this.correct = new int[prompts];
        this.rewardSum = new double[prompts];
        this.scoredOf = new int[prompts];
    }

    void add(int prompt, Outcome o) {
        if (!(o instanceof Outcome.Scored s)) {
            failed++;
            return;
        }
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
            double[] per = PassAtK.perPrompt(n, correct, k);
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("estimate", prompts == 0 ? null : PassAtK.mean(per));
            one.put("ci95", interval(per, seed));
            passAtK.put(Integer.toString(k), one);
        }
        r.put("pass_at_k", passAtK);
        r.put("ci_method", "95% percentile bootstrap over prompts, " + PassAtK.RESAMPLES + " resamples, seed " + seed);
        return r;
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
