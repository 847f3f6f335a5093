package dev.groupflow.pipeline;

import dev.groupflow.agent.Episode;
import dev.groupflow.agent.EpisodeAdvantages;
import dev.groupflow.agent.EpisodeOutcome;
import dev.groupflow.agent.Segment;
import dev.groupflow.agent.Step;
import dev.groupflow.grpo.TrainingSample;
import dev.groupflow.verify.Outcome;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Episodes in the training stream: a task's G episodes as a {@link Group} (each episode also stands as one member,
 * its return as the reward, so staleness, metrics and the ledger treat it as any group), and the learner's rows of
 * such a group: one row per policy turn with exactly the context the turn was sampled from, so environment tokens
 * are never in the loss (only the policy's tokens are completions).
 */
public final class EpisodeGroups {
    private EpisodeGroups() {
    }

    /**
     * The G episodes of one task as a group (ordered by sample index).
     *
     * @param version the weights' version the episodes started with (an episode without turns is of it)
     */
    public static Group of(PromptWork task, List<Episode> episodes, long version) {
        List<Episode> ordered = new ArrayList<>(episodes);
        ordered.sort((a, b) -> Integer.compare(a.sampleIndex(), b.sampleIndex()));
        List<ScoredRollout> members = new ArrayList<>(ordered.size());
        for (Episode e : ordered) {
            members.add(new ScoredRollout(member(task, e, version), outcome(e)));
        }
        return new Group(task.key(), members, ordered);
    }

    /** An episode as a rollout: its policy tokens and their log-probs, the transcript as text. */
    private static Rollout member(PromptWork task, Episode e, long version) {
        List<Segment> policy = e.segments().stream().filter(s -> s.kind() == Segment.Kind.POLICY).toList();
        int n = policy.stream().mapToInt(s -> s.tokens().length).sum();
        int[] tokens = new int[n];
        float[] logprobs = new float[n];
        int at = 0;
        for (Segment s : policy) {
            System.arraycopy(s.tokens(), 0, tokens, at, s.tokens().length);
            System.arraycopy(s.logprobs(), 0, logprobs, at, s.tokens().length);
            at += s.tokens().length;
        }
        return new Rollout(task, e.sampleIndex(), version(e, version), tokens, logprobs, transcript(e),
                e.outcome() instanceof EpisodeOutcome.Truncated);
    }

    /** The oldest weights' version among the episode's turns (staleness is measured from it). */
    private static long version(Episode e, long started) {
        return e.segments().stream().filter(s -> s.kind() == Segment.Kind.POLICY)
                .mapToLong(Segment::policyVersion).min().orElse(started);
    }

    private static Outcome outcome(Episode e) {
        if (e.outcome().rewarded()) {
            return new Outcome.Scored(e.totalReward(), Map.of(), e.outcome().label(), 1, 0);
        }
        String detail = e.outcome().label() + ": " + e.outcome();
        return e.outcome() instanceof EpisodeOutcome.EnvironmentTimedOut ? new Outcome.TimedOut(detail, 1, 0)
                : new Outcome.Failed(detail, 1, 0);
    }

    /** The episode's turns as text: each action, then what the environment answered. */
    public static String transcript(Episode e) {
        StringBuilder sb = new StringBuilder();
        for (Step s : e.steps()) {
            sb.append(s.action().text());
            if (s.observation() != null) {
                sb.append(" -> ").append(s.observation());
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /**
     * The learner's rows of an episode group with their advantages.
     *
     * @param samples one row per policy turn of every episode, episode by episode
     * @param advantages each row's advantage (its turn's, from {@link EpisodeAdvantages})
     */
    public record Rows(List<TrainingSample> samples, double[] advantages) {
    }

    /** The rows of an episode group: every policy turn, its context as prompt, its tokens as completion. */
    public static Rows rows(Group g, EpisodeAdvantages.Settings settings) {
        double[][] perTurn = EpisodeAdvantages.compute(g.episodes(), settings);
        List<TrainingSample> samples = new ArrayList<>();
        List<Double> advantages = new ArrayList<>();
        for (int i = 0; i < g.episodes().size(); i++) {
            Episode e = g.episodes().get(i);
            Double reward = EpisodeAdvantages.counted(e) ? e.totalReward() : null;
            for (Episode.TurnRow row : e.turnRows()) {
                samples.add(new TrainingSample(g.promptKey(), e.sampleIndex(), row.context(), row.completion(),
                        row.logprobs(), reward, Map.of(), false, row.policyVersion()));
                advantages.add(perTurn[i][row.turn()]);
            }
        }
        return new Rows(samples, advantages.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /**
     * Episode metrics of a batch: success rate (episodes the environment ended), turns per episode, episodes by
     * outcome, environment failures, policy tokens per episode, and the fraction of steps whose state another step
     * of their group shares ({@code step_groups_shared}: the steps for which GiGPO has a step advantage).
     */
    public static Map<String, Double> metrics(List<Group> batch) {
        int episodes = 0;
        int finished = 0;
        int failed = 0;
        double turns = 0;
        double policyTokens = 0;
        double returns = 0;
        int rewarded = 0;
        Map<String, Integer> byOutcome = new LinkedHashMap<>();
        for (String label : List.of("finished", "max_turns", "max_tokens", "environment_failed",
                "environment_timed_out")) {
            byOutcome.put(label, 0);
        }
        for (Group g : batch) {
            for (Episode e : g.episodes()) {
                episodes++;
                byOutcome.merge(e.outcome().label(), 1, Integer::sum);
                finished += e.outcome() instanceof EpisodeOutcome.Finished ? 1 : 0;
                failed += e.outcome().rewarded() ? 0 : 1;
                turns += e.steps().size();
                policyTokens += e.policyTokens();
                if (e.outcome().rewarded()) {
                    returns += e.totalReward();
                    rewarded++;
                }
            }
        }
        Map<String, Double> m = new LinkedHashMap<>();
        if (episodes == 0) {
            return m;
        }
        int steps = 0;
        int shared = 0;
        for (Group g : batch) { // GiGPO's step groups: steps of a group from the same state
            Map<String, Integer> byState = new HashMap<>();
            g.episodes().forEach(e -> e.steps().forEach(s -> byState.merge(s.stateKey(), 1, Integer::sum)));
            for (int n : byState.values()) {
                steps += n;
                shared += n > 1 ? n : 0;
            }
        }
        m.put("step_groups_shared", steps == 0 ? 0.0 : (double) shared / steps);
        m.put("episodes", (double) episodes);
        m.put("success_rate", (double) finished / episodes);
        m.put("episode_return_mean", rewarded == 0 ? Double.NaN : returns / rewarded);
        m.put("turns_per_episode", turns / episodes);
        m.put("policy_tokens_per_episode", policyTokens / episodes);
        m.put("environment_failures", (double) failed);
        byOutcome.forEach((k, v) -> m.put("episodes/" + k, (double) v));
        return m;
    }
}
