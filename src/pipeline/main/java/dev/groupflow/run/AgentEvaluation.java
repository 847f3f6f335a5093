package dev.groupflow.run;

import dev.groupflow.agent.Episode;
import dev.groupflow.agent.EpisodeOutcome;
import dev.groupflow.agent.EpisodeRunner;
import dev.groupflow.agent.EpisodeSpec;
import dev.groupflow.agent.GuessEnvironment;
import dev.groupflow.agent.GuessTask;
import dev.groupflow.data.BadRow;
import dev.groupflow.data.JsonlPrompts;
import dev.groupflow.data.Prompt;
import dev.groupflow.data.PromptSource;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.tokenizer.TextTokenizer;
import dev.groupflow.pipeline.EpisodeRecords;
import dev.groupflow.sampling.SamplingParams;
import dev.groupflow.sampling.TurnSampler;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The held-out evaluation of an agent run: {@code eval.samples} episodes of each held-out task (every row of
 * {@code eval.prompts}, or {@code task.eval-prompts} distinct tasks of {@link GuessTask#heldOut()}: secrets training
 * never draws; fewer when the held-out split has fewer, as a small game's does: the same secret twice would only
 * repeat a greedy episode and weigh it twice), played in lockstep at {@code eval.temperature} (0 = greedy) with the
 * run's limits. It reports {@code mean_reward} (the mean return), {@code success_rate} (episodes the environment
 * ended: the secret was found), turns per episode and the episodes by outcome; every episode is written turn by
 * turn to {@code eval_episodes.jsonl}.
 */
final class AgentEvaluation {
    private static final Logger LOG = LoggerFactory.getLogger(AgentEvaluation.class);
    private static final long EVAL_STEP = -7; // separates evaluation's random numbers from training's
    private static final int DRAWS_PER_TASK = 20;

    private final RunConfig config;
    private final RunEnvironment environment;

    AgentEvaluation(RunConfig config, RunEnvironment environment) {
        this.config = config;
        this.environment = environment;
    }

    /** What an evaluation gives: the summary of {@code eval.json} and the episodes played. */
    record Result(Map<String, Object> summary, List<Episode> episodes) {
    }

    /** Plays the held-out episodes with the policy as it is now. */
    Result run(CausalLm policy, TextTokenizer tokenizer) throws InterruptedException {
        RunConfig.AgentSettings agent = config.agent();
        List<Prompt> heldOut = heldOutTasks();
        int tasks = heldOut.size();
        int samples = config.eval().samples();
        List<EpisodeSpec> specs = new ArrayList<>(tasks * samples);
        for (int n = 0; n < tasks; n++) {
            Prompt task = heldOut.get(n);
            for (int i = 0; i < samples; i++) {
                specs.add(new EpisodeSpec("eval/" + n + "/" + i, n, i, task, 0));
            }
        }
        SamplingParams p = config.sampling();
        SamplingParams params = new SamplingParams(config.eval().temperature(), p.topK(), p.topP(), p.minP(),
                agent.limits().maxTurnTokens(), p.stop());
        TurnSampler sampler = new TurnSampler(policy, tokenizer,
                environment.format().turnEnds(tokenizer.eosIds()));
        EpisodeRunner runner = new EpisodeRunner(sampler, environment.format(),
                environment.calls(), agent.limits(), params, 64, true);
        List<Episode> episodes = runner.run(specs, config.seed(), EVAL_STEP, -1);
        return new Result(summary(episodes, tasks, samples), episodes);
    }

    /**
     * The first {@code wanted} distinct tasks (by observation and answer) of a held-out stream, looking at no more
     * than {@value #DRAWS_PER_TASK} draws per task wanted: a split with fewer tasks gives all it has.
     */
    static List<Prompt> distinct(PromptSource heldOut, int wanted) {
        Map<List<String>, Prompt> seen = new LinkedHashMap<>();
        for (long n = 0; seen.size() < wanted && n < (long) wanted * DRAWS_PER_TASK && !heldOut.exhausted(n); n++) {
            Prompt p = heldOut.at(n);
            seen.putIfAbsent(Arrays.asList(p.text(), p.answer()), p);
        }
        return List.copyOf(seen.values());
    }

    /** An episode as a line of {@code eval_episodes.jsonl}, with the step it was evaluated at. */
    static Map<String, Object> record(long step, Episode e) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("step", step);
        r.putAll(record(e));
        return r;
    }

    /** An episode turn by turn: task, sample, outcome, return and turns (no training step: a checkpoint's own). */
    static Map<String, Object> record(Episode e) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("task_id", e.task().id());
        r.put("prompt", e.task().text());
        r.put("answer", e.task().answer());
        r.put("sample", e.sampleIndex());
        r.put("outcome", e.outcome().label());
        r.put("return", e.outcome().rewarded() ? e.totalReward() : null);
        r.put("turns", EpisodeRecords.turns(e, null, 0));
        return r;
    }

    /**
     * The held-out tasks: every valid row of {@code eval.prompts} (for the built-in game, rows without a
     * digit-string answer are left out and logged with their line numbers), else {@code task.eval-prompts} distinct
     * tasks of the built-in task's held-out split.
     */
    private List<Prompt> heldOutTasks() {
        Path file = config.eval().prompts();
        List<Prompt> tasks = new ArrayList<>();
        if (file == null) {
            return distinct(config.agent().guessTasks(config.seed(), true), config.task().evalPrompts());
        }
        try (JsonlPrompts rows = JsonlPrompts.open(file, 1, false, config.seed(),
                environment.builtIn() ? GuessEnvironment::taskProblem : row -> null)) {
            for (BadRow bad : rows.badRows()) {
                LOG.warn("{}:{}: left out of the held-out tasks: {}", file, bad.line(), bad.reason());
            }
            for (int n = 0; n < rows.size(); n++) {
                tasks.add(rows.at(n));
            }
        }
        return tasks;
    }

    static Map<String, Object> summary(List<Episode> episodes, int tasks, int samples) {
        double returns = 0;
        double turns = 0;
        int solved = 0;
        Map<String, Integer> outcomes = new TreeMap<>();
        for (Episode e : episodes) {
            returns += e.outcome().rewarded() ? e.totalReward() : 0;
            turns += e.steps().size();
            solved += e.outcome() instanceof EpisodeOutcome.Finished ? 1 : 0;
            outcomes.merge(e.outcome().label(), 1, Integer::sum);
        }
        int n = Math.max(1, episodes.size());
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("mean_reward", returns / n);
        r.put("success_rate", (double) solved / n);
        r.put("turns_per_episode", turns / n);
        r.put("outcomes", outcomes);
        r.put("prompts", tasks);
        r.put("samples_per_prompt", samples);
        return r;
    }
}
