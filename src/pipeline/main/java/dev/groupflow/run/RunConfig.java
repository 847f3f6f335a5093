package dev.groupflow.run;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.groupflow.agent.EpisodeAdvantages;
import dev.groupflow.agent.EpisodeLimits;
import dev.groupflow.agent.GuessTask;
import dev.groupflow.cluster.ClusterSettings;
import dev.groupflow.config.ConfigProblems;
import dev.groupflow.config.SectionReader;
import dev.groupflow.config.Settings;
import dev.groupflow.grpo.AdvantageScale;
import dev.groupflow.grpo.Aggregation;
import dev.groupflow.grpo.GiGpo;
import dev.groupflow.grpo.GrpoConfig;
import dev.groupflow.grpo.GrpoLoss;
import dev.groupflow.grpo.LrSchedule;
import dev.groupflow.grpo.Ngrpo;
import dev.groupflow.grpo.OptionNames;
import dev.groupflow.grpo.RatioLevel;
import dev.groupflow.metrics.DashboardSettings;
import dev.groupflow.model.Devices;
import dev.groupflow.model.MemorySettings;
import dev.groupflow.model.lora.LoraConfig;
import dev.groupflow.model.tokenizer.HfTokenizer;
import dev.groupflow.sampling.SamplingParams;
import dev.groupflow.verify.HttpVerifier;
import dev.groupflow.verify.JsonPost;
import dev.groupflow.verify.registry.Verifiers;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The typed configuration of a run. {@link #from} checks every key and cross-key constraint and reports all
 * problems at once (before any work starts); see {@code conf/groupflow.conf} for the meaning of each key.
 */
public record RunConfig(long seed, boolean deterministic, Path runDir, ModelSettings model, TaskSettings task,
                        AgentSettings agent, DataSettings data,
                        VerifierSettings verifier, SamplingParams sampling, GrpoConfig grpo, GuidanceSettings guidance,
                        TrainSettings train,
                        PipelineSettings pipeline, CheckpointSettings checkpoint, EvalSettings eval, LogSettings log,
                        ClusterSettings cluster,
                        ChartSettings charts, DashboardSettings dashboard, Config raw) {

    public record ModelSettings(Path path, String device, int hiddenSize, int intermediateSize, int layers, int heads,
                                int kvHeads) {
    }

    public record TaskSettings(String name, int minLength, int maxLength, int evalPrompts) {

        /** Whether this is the built-in multi-turn task (an agent run: episodes against an environment). */
        public boolean agent() {
            return GUESS.equals(name);
        }
    }

    /**
     * A multi-turn agent run's settings (used when {@code task.name = guess}).
     *
     * @param minLength shortest hidden string of the guess task
     * @param maxLength longest hidden string of the guess task
     * @param digits each hidden digit is one of 0 .. digits-1
     * @param heldOutFraction the share of the guess task's secrets held out of training
     * @param turnCost subtracted from every step's reward of the built-in guess game
     * @param limits max turns, max tokens per episode, max tokens per turn
     * @param estimator GRPO or GiGPO per turn
     * @param gigpo GiGPO's γ, ω, mode and ε
     * @param timeout one environment call's deadline
     * @param retries further attempts of a failed call
     * @param retryBackoff wait before the first retry (doubling)
     * @param http the HTTP environment service ({@code agent.environment = http}), or null for the built-in game
     * @param turns how the conversation becomes tokens ({@code agent.turn-format}, auto resolved)
     * @param toolCalls how a turn's tool calls are read ({@code agent.tool-call-format}, auto resolved)
     */
    public record AgentSettings(int minLength, int maxLength, int digits, double heldOutFraction, double turnCost,
                                EpisodeLimits limits,
                                EpisodeAdvantages.Estimator estimator, GiGpo.Settings gigpo, Duration timeout,
                                int retries, Duration retryBackoff, HttpEnvironmentSettings http, Turns turns,
                                ToolCalls toolCalls, String systemPrompt) {

        /** The built-in guess task's tasks: its training split, or ({@code heldOut}) the secrets held out. */
        public GuessTask guessTasks(long seed, boolean heldOut) {
            return new GuessTask(minLength, maxLength, digits, seed, heldOut, heldOutFraction);
        }

        /**
         * Per-turn advantages: GRPO's return scaled by {@code grpo.scale} (NGRPO's when {@code ngrpo} is not null:
         * {@code grpo.advantage = ngrpo}), or GiGPO.
         */
        public EpisodeAdvantages.Settings advantages(AdvantageScale scale, Ngrpo ngrpo) {
            return new EpisodeAdvantages.Settings(estimator, scale, gigpo, ngrpo);
        }
    }

    /**
     * An agent run's turn format: plain text appended as it is (the built-in policy), or the conversation rendered
     * by the model's own chat template (a Hugging Face model).
     */
    public enum Turns { PLAIN, CHAT }

    /** How a turn's text becomes tool calls: none (the text is the action), or Qwen's {@code <tool_call>} blocks. */
    public enum ToolCalls { PLAIN, QWEN }

    /**
     * An environment service speaking the HTTP JSON protocol (docs/agents.md).
     *
     * @param url its base URL ({@code BASE/start}, {@code BASE/step}, {@code BASE/end})
     * @param transport the HTTP client's limits: {@code agent.timeout} per attempt, no retries of its own (the
     *     environment calls retry, {@code agent.retries}), the concurrency, reply size and breaker of
     *     {@code agent.http}
     */
    public record HttpEnvironmentSettings(URI url, JsonPost.Settings transport) {
    }

    /**
     * {@code data}.
     *
     * @param chatTemplateVariables extra variables of the chat template ({@code data.chat-template-variables})
     */
    public record DataSettings(Path prompts, int epochs, boolean shuffle, String chatTemplate, int maxPromptTokens,
                               boolean failOnLongPrompts, double maxBadFraction,
                               Map<String, Object> chatTemplateVariables) {
    }

    public record Latency(String distribution, Duration mean, double sigma) {
    }

    public record VerifierSettings(String name, int concurrency, Duration timeout, int retries, Duration retryBackoff,
                                   Latency latency) {
    }

    public record TrainSettings(int steps, int batchGroups) {
    }

    public enum Mode { STREAMING, LOCKSTEP }

    /**
     * @param filterZeroVariance drop groups whose scored rewards are all equal (DAPO's dynamic sampling)
     * @param filterAllCorrect drop groups whose scored rewards all equal {@code grpo.ngrpo.virtual-reward} and keep
     *     all-wrong ones (NGRPO's recipe)
     */
    public record PipelineSettings(Mode mode, int maxStaleness, int samplerBatchPrompts, boolean filterZeroVariance,
                                   boolean filterAllCorrect, Duration restartMinBackoff, Duration restartMaxBackoff,
                                   int maxRestarts) {
    }

    /**
     * G²RPO-A's guided rollouts ({@code grpo.guidance}).
     *
     * @param count completions of each group that are guided (0: see fraction)
     * @param fraction the share of each group that is guided, rounded to whole completions (used when count = 0)
     * @param initialLength ℓ at the start, in policy tokens
     * @param maxLength ℓ_max
     */
    public record GuidanceSettings(int count, double fraction, int initialLength, int maxLength) {
        /** Guided completions per group of {@code groupSize}; 0 = guidance off. */
        public int guided(int groupSize) {
            return count > 0 ? count : (int) Math.round(fraction * groupSize);
        }
    }

    /**
     * @param every periodic checkpoint every this many steps (0 = only at the end)
     * @param keep complete checkpoints kept
     * @param maxConsecutiveFailures checkpoint writes that may fail in a row before the run stops
     */
    public record CheckpointSettings(int every, int keep, int maxConsecutiveFailures) {
    }

    /**
     * @param every evaluate every this many steps during training (0 = only at the end)
     * @param passThreshold a completion with at least this reward counts as correct for pass@k
     * @param passK the k of pass@k reported besides 1 and samples
     */
    public record EvalSettings(int samples, double temperature, Path prompts, int every, double passThreshold,
                               List<Integer> passK) {
    }

    /**
     * @param progress auto | tty | plain (dev.groupflow.metrics.ProgressLine)
     * @param json also print each metrics line to stdout as one JSON line
     */
    public record LogSettings(int every, int completionsEvery, String progress, boolean json) {
    }

    /** @param every redraw RUN_DIR/charts every this many steps (0 = only at the end) */
    public record ChartSettings(int every) {
    }

    /** Verifier names the pipeline knows (those of {@link Verifiers#builtIn()}). */
    public static final Set<String> VERIFIERS = Verifiers.builtIn().names();
    /** The built-in multi-turn task's name. */
    public static final String GUESS = "guess";
    public static final Set<String> TASKS = Set.of("copy", "reverse", "sort", "hidden", GUESS);

    /** Loads defaults, file and overrides, and checks everything. */
    public static RunConfig load(Path file, List<String> sets) {
        Settings.Layered layered = Settings.layer(file, sets);
        try {
            RunConfig c = from(layered.config());
            if (!layered.problems().isEmpty()) {
                throw new ConfigProblems(layered.problems());
            }
            return c;
        } catch (ConfigProblems e) {
            if (layered.problems().isEmpty() || e.problems().equals(layered.problems())) {
                throw e;
            }
            List<String> all = new ArrayList<>(layered.problems());
            all.addAll(e.problems());
            throw new ConfigProblems(all);
        }
    }

    public static RunConfig from(Config c) {
        Reader r = new Reader(c);
        long seed = r.longValue("seed");
        boolean deterministic = r.bool("deterministic");
        String runDir = r.nullableString("run-dir");

        Path modelPath = r.existingPath("model.path", true);
        if (modelPath != null && Files.isDirectory(modelPath) && !Files.isRegularFile(modelPath.resolve("config.json"))) {
            r.problem("model.path", "no config.json in " + modelPath + " (not a Hugging Face checkpoint directory)");
        }
        String device = r.string("model.device");
        if (!Devices.valid(device)) {
            r.problem("model.device", "'" + device + "' is not one of auto, cpu, gpu:N");
        }
        ModelSettings model = new ModelSettings(modelPath, device, r.integer("model.builtin.hidden-size"),
                r.integer("model.builtin.intermediate-size"), r.integer("model.builtin.layers"),
                r.integer("model.builtin.heads"), r.integer("model.builtin.kv-heads"));
        if (modelPath == null) {
            r.atLeast("model.builtin.layers", model.layers(), 1);
            r.atLeast("model.builtin.intermediate-size", model.intermediateSize(), 1);
            if (model.heads() < 1 || model.kvHeads() < 1 || model.heads() % model.kvHeads() != 0) {
                r.problem("model.builtin.kv-heads", "must divide model.builtin.heads (" + model.heads() + ")");
            } else if (model.hiddenSize() % model.heads() != 0 || (model.hiddenSize() / model.heads()) % 2 != 0) {
                r.problem("model.builtin.hidden-size", "must be a multiple of 2 x heads (" + model.heads() + ")");
            }
        }

        TaskSettings task = new TaskSettings(r.choice("task.name", TASKS), r.integer("task.min-length"),
                r.integer("task.max-length"), r.integer("task.eval-prompts"));
        r.atLeast("task.min-length", task.minLength(), 1);
        if (task.maxLength() < task.minLength() || task.maxLength() > 64) {
            r.problem("task.max-length", "must be in [task.min-length, 64], got " + task.maxLength());
        }
        r.atLeast("task.eval-prompts", task.evalPrompts(), 1);
        AgentSettings agent = agent(r, modelPath);

        DataSettings data = new DataSettings(r.existingPath("data.prompts", false), r.integer("data.epochs"),
                r.bool("data.shuffle"), r.choice("data.chat-template", Set.of("auto", "on", "off")),
                r.integer("data.max-prompt-tokens"), r.choice("data.long-prompts", Set.of("skip", "fail")).equals("fail"),
                r.number("data.max-bad-fraction"), r.object("data.chat-template-variables"));
        r.atLeast("data.epochs", data.epochs(), 0);
        if (!(data.maxBadFraction() >= 0 && data.maxBadFraction() <= 1)) {
            r.problem("data.max-bad-fraction", "must be in [0, 1], got " + data.maxBadFraction());
        }
        r.atLeast("data.max-prompt-tokens", data.maxPromptTokens(), 0);

        Latency latency = new Latency(r.choice("verifier.latency.distribution", Set.of("none", "fixed", "lognormal")),
                r.duration("verifier.latency.mean"), r.number("verifier.latency.sigma"));
        VerifierSettings verifier = new VerifierSettings(r.string("verifier.name"), r.integer("verifier.concurrency"),
                r.duration("verifier.timeout"), r.integer("verifier.retries"), r.duration("verifier.retry-backoff"),
                latency);
        verifierProblems(r, c, verifier, data, task.agent());
        r.atLeast("verifier.concurrency", verifier.concurrency(), 1);
        r.atLeast("verifier.retries", verifier.retries(), 0);
        if (verifier.timeout().isZero() || verifier.timeout().isNegative()) {
            r.problem("verifier.timeout", "must be positive");
        }
        r.atLeast("verifier.latency.sigma", latency.sigma(), 0);

        SamplingParams sampling = null;
        try {
            sampling = new SamplingParams(r.number("sampling.temperature"), r.integer("sampling.top-k"),
                    r.number("sampling.top-p"), r.number("sampling.min-p"), r.integer("sampling.max-new-tokens"),
                    r.strings("sampling.stop"));
        } catch (IllegalArgumentException e) {
            r.problems.add("sampling: " + e.getMessage());
        }

        TrainSettings train = new TrainSettings(r.integer("train.steps"), r.integer("train.batch-groups"));
        r.atLeast("train.steps", train.steps(), 1);
        r.atLeast("train.batch-groups", train.batchGroups(), 1);

        String mode = r.choice("pipeline.mode", Set.of("streaming", "lockstep"));
        // a sampler chunk larger than a batch is one batch
        int samplerBatchPrompts = r.integer("pipeline.sampler-batch-prompts");
        samplerBatchPrompts = train.batchGroups() >= 1 ? Math.min(samplerBatchPrompts, train.batchGroups())
                : samplerBatchPrompts;
        PipelineSettings pipeline = new PipelineSettings(mode.equals("lockstep") ? Mode.LOCKSTEP : Mode.STREAMING,
                r.integer("pipeline.max-staleness"), samplerBatchPrompts,
                r.bool("pipeline.filter-zero-variance"), r.bool("pipeline.filter-all-correct"),
                r.duration("pipeline.restart-min-backoff"),
                r.duration("pipeline.restart-max-backoff"), r.integer("pipeline.max-restarts"));
        r.atLeast("pipeline.max-staleness", pipeline.maxStaleness(), 0);
        r.atLeast("pipeline.sampler-batch-prompts", pipeline.samplerBatchPrompts(), 1);
        r.atLeast("pipeline.max-restarts", pipeline.maxRestarts(), 0);
        if (pipeline.samplerBatchPrompts() >= 1 && train.batchGroups() >= 1
                && train.batchGroups() % pipeline.samplerBatchPrompts() != 0) {
            r.problem("train.batch-groups", train.batchGroups() + " is not divisible by pipeline.sampler-batch-prompts "
                    + pipeline.samplerBatchPrompts());
        }

        CheckpointSettings checkpoint = new CheckpointSettings(r.integer("checkpoint.every"), r.integer("checkpoint.keep"),
                r.integer("checkpoint.max-consecutive-failures"));
        r.atLeast("checkpoint.every", checkpoint.every(), 0);
        r.atLeast("checkpoint.keep", checkpoint.keep(), 1);
        r.atLeast("checkpoint.max-consecutive-failures", checkpoint.maxConsecutiveFailures(), 1);
        EvalSettings eval = new EvalSettings(r.integer("eval.samples"), r.number("eval.temperature"),
                r.existingPath("eval.prompts", false), r.integer("eval.every"), r.number("eval.pass-threshold"),
                r.integers("eval.pass-k"));
        r.atLeast("eval.samples", eval.samples(), 1);
        r.atLeast("eval.temperature", eval.temperature(), 0);
        r.atLeast("eval.every", eval.every(), 0);
        for (int k : eval.passK()) {
            if (k < 1 || k > eval.samples()) {
                r.problem("eval.pass-k", "k = " + k + " must be in [1, eval.samples = " + eval.samples() + "]");
            }
        }
        if (eval.every() > 0 && data.prompts() != null && eval.prompts() == null) {
            r.problem("eval.every", "needs held-out prompts: set eval.prompts (or eval.every = 0)");
        }
        LogSettings log = new LogSettings(r.integer("log.every"), r.integer("log.completions-every"),
                r.choice("log.progress", Set.of("auto", "tty", "plain")), r.bool("log.json"));
        r.atLeast("log.every", log.every(), 1);
        r.atLeast("log.completions-every", log.completionsEvery(), 0);
        ChartSettings charts = new ChartSettings(r.integer("charts.every"));
        r.atLeast("charts.every", charts.every(), 0);
        DashboardSettings dashboard = new DashboardSettings(r.bool("dashboard.enabled"), r.integer("dashboard.port"),
                r.integer("dashboard.history"), r.integer("dashboard.max-event-streams"),
                r.integer("dashboard.actions-per-minute"));
        if (dashboard.port() < 0 || dashboard.port() > 65535) {
            r.problem("dashboard.port", "must be in [0, 65535], got " + dashboard.port());
        }
        r.atLeast("dashboard.history", dashboard.history(), 1);
        r.atLeast("dashboard.max-event-streams", dashboard.maxEventStreams(), 1);
        r.atLeast("dashboard.actions-per-minute", dashboard.actionsPerMinute(), 1);
        if (dashboard.actionsPerMinute() > 10_000) {
            r.problem("dashboard.actions-per-minute", "must be <= 10000, got " + dashboard.actionsPerMinute());
        }

        GrpoConfig grpo = grpo(r, sampling, train);
        if (grpo != null) {
            r.problems.addAll(grpo.problems());
        }
        GuidanceSettings guidance = guidance(r, grpo, sampling);
        memoryProblems(r, c, modelPath, grpo);
        ClusterSettings cluster = null;
        try {
            cluster = ClusterSettings.from(c);
            r.problems.addAll(cluster.problems());
            if (cluster.enabled() && pipeline != null && pipeline.mode() == Mode.LOCKSTEP) {
                r.problem("cluster.enabled", "needs pipeline.mode = streaming (lockstep runs on one machine)");
            }
            if (deterministic && cluster.remoteSamplers()) {
                r.problem("cluster.remote-samplers", "cannot be used with deterministic = true");
            }
        } catch (ConfigException e) {
            r.problems.add("cluster: " + e.getMessage());
        }
        if (deterministic && pipeline.filterZeroVariance()) {
            r.problem("pipeline.filter-zero-variance", "cannot be used with deterministic = true (filtered groups "
                    + "would make batch membership depend on timing)");
        }
        if (deterministic && pipeline.filterAllCorrect()) {
            r.problem("pipeline.filter-all-correct", "cannot be used with deterministic = true (filtered groups "
                    + "would make batch membership depend on timing)");
        }
        if (pipeline.filterZeroVariance() && pipeline.filterAllCorrect()) {
            r.problem("pipeline.filter-all-correct", "choose one filter: filter-zero-variance drops all-wrong groups "
                    + "too, which filter-all-correct keeps");
        }
        if (guidance != null && grpo != null && guidance.guided(grpo.groupSize()) > 0 && cluster != null
                && cluster.remoteSamplers()) {
            r.problem("grpo.guidance.count", "guided rollouts need the learner's own sampler (cluster.remote-samplers "
                    + "= false)");
        }
        if (task.agent()) {
            agentProblems(r, seed, agent, pipeline, cluster, data);
            if (grpo != null && grpo.ngrpo() != null && agent != null
                    && agent.estimator() != EpisodeAdvantages.Estimator.GRPO) {
                r.problem("grpo.advantage", "ngrpo gives episodes NGRPO's advantage of their return: it needs "
                        + "agent.estimator = grpo, not " + agent.estimator().name().toLowerCase(Locale.ROOT));
            }
            if (guidance != null && grpo != null && guidance.guided(grpo.groupSize()) > 0) {
                r.problem("grpo.guidance.count", "task.name = guess has no guidance traces: guided rollouts are for "
                        + "single-turn prompts");
            }
            if (pipeline != null && pipeline.filterAllCorrect()) {
                r.problem("pipeline.filter-all-correct", "task.name = guess sends each group of episodes to the "
                        + "learner as it is: no group filter");
            }
        }
        if (!r.problems.isEmpty()) {
            throw new ConfigProblems(r.problems);
        }
        return new RunConfig(seed, deterministic, runDir == null ? null : Path.of(runDir), model, task, agent, data,
                verifier, sampling, grpo, guidance,
                train, pipeline, checkpoint, eval, log, cluster, charts, dashboard, c);
    }

    /** The {@code agent} section, every key checked (read whatever the task, so a typo is never silent). */
    private static AgentSettings agent(Reader r, Path modelPath) {
        int problemsBefore = r.problems.size();
        int min = r.integer("agent.guess.min-length");
        int max = r.integer("agent.guess.max-length");
        int digits = r.integer("agent.guess.digits");
        if (digits < 2 || digits > 10) {
            r.problem("agent.guess.digits", "must be in [2, 10], got " + digits);
        }
        r.atLeast("agent.guess.min-length", min, 1);
        double heldOut = r.number("agent.guess.held-out-fraction");
        if (!(heldOut > 0 && heldOut < 1)) {
            r.problem("agent.guess.held-out-fraction", "must be in (0, 1), got " + heldOut);
        }
        double turnCost = r.number("agent.guess.turn-cost");
        if (!(turnCost >= 0 && turnCost < 1)) {
            r.problem("agent.guess.turn-cost", "must be in [0, 1), got " + turnCost);
        }
        if (max < min || max > 18) {
            r.problem("agent.guess.max-length", "must be in [agent.guess.min-length, 18], got " + max);
        }
        int turns = r.integer("agent.max-turns");
        int tokens = r.integer("agent.max-tokens");
        int turnTokens = r.integer("agent.max-turn-tokens");
        r.atLeast("agent.max-turns", turns, 1);
        r.atLeast("agent.max-turn-tokens", turnTokens, 1);
        Turns format = turnFormat(r, modelPath);
        ToolCalls toolCalls = toolCalls(r, modelPath, format);
        // a plain turn is the guess itself; a chat turn's first observation is as long as the template makes it
        int firstObservation = format == Turns.PLAIN ? max + 1 : 1;
        if (format == Turns.PLAIN && turnTokens < max) {
            r.problem("agent.max-turn-tokens", "a guess needs agent.guess.max-length digits: at least " + max
                    + ", got " + turnTokens);
        }
        if (tokens < firstObservation + turnTokens) {
            r.problem("agent.max-tokens", "must leave room for the first observation (" + firstObservation
                    + " tokens) and one turn (agent.max-turn-tokens = " + turnTokens + "): at least "
                    + (firstObservation + turnTokens) + ", got " + tokens);
        }
        String estimator = r.choice("agent.estimator", Set.of("grpo", "gigpo"));
        String mode = r.choice("agent.gigpo.mode", Set.of("mean_norm", "mean_std_norm"));
        double gamma = r.number("agent.gigpo.gamma");
        double omega = r.number("agent.gigpo.omega");
        double eps = r.number("agent.gigpo.std-eps");
        if (!(gamma >= 0 && gamma <= 1)) {
            r.problem("agent.gigpo.gamma", "must be in [0, 1], got " + gamma);
        }
        if (!Double.isFinite(omega)) {
            r.problem("agent.gigpo.omega", "must be finite, got " + omega);
        }
        if (!(eps > 0)) {
            r.problem("agent.gigpo.std-eps", "must be > 0, got " + eps);
        }
        Duration timeout = r.duration("agent.timeout");
        int retries = r.integer("agent.retries");
        Duration backoff = r.duration("agent.retry-backoff");
        if (timeout.isZero() || timeout.isNegative()) {
            r.problem("agent.timeout", "must be positive");
        }
        r.atLeast("agent.retries", retries, 0);
        String systemPrompt = r.nullableString("agent.system-prompt");
        if (systemPrompt != null && format == Turns.PLAIN) {
            r.problem("agent.system-prompt", "needs chat turns (agent.turn-format = chat, a model with a chat "
                    + "template): plain turns have no system message");
        }
        String environment = r.choice("agent.environment", Set.of("builtin", "http"));
        HttpEnvironmentSettings http = environment.equals("http") ? httpEnvironment(r, timeout, backoff) : null;
        if (r.problems.size() > problemsBefore) {
            return null; // every problem of the section is reported; the run will not start
        }
        return new AgentSettings(min, max, digits, heldOut, turnCost, new EpisodeLimits(turns, tokens, turnTokens),
                EpisodeAdvantages.Estimator.valueOf(estimator.toUpperCase(Locale.ROOT)),
                new GiGpo.Settings(gamma, omega, GiGpo.Mode.valueOf(mode.toUpperCase(Locale.ROOT)), eps), timeout,
                retries, backoff, http, format, toolCalls, systemPrompt);
    }

    /**
     * {@code agent.turn-format}: auto is chat when {@code model.path} is a Hugging Face checkpoint whose tokenizer
     * has a chat template, else plain; chat without such a template is a problem (null is returned).
     */
    private static Turns turnFormat(Reader r, Path modelPath) {
        String name = r.choice("agent.turn-format", Set.of("auto", "plain", "chat"));
        boolean template = modelPath != null && Files.isDirectory(modelPath)
                && HfTokenizer.chatTemplateText(modelPath) != null;
        if (name.equals("chat") && modelPath == null) {
            r.problem("agent.turn-format", "chat needs a Hugging Face model with a chat template (model.path): the "
                    + "built-in policy writes plain text");
            return null;
        }
        if (name.equals("chat") && !template) {
            r.problem("agent.turn-format", "chat needs a chat template, but " + modelPath.resolve(
                    "tokenizer_config.json") + " has no chat_template: use plain");
            return null;
        }
        return switch (name) {
            case "chat" -> Turns.CHAT;
            case "plain" -> Turns.PLAIN;
            case "auto" -> template ? Turns.CHAT : Turns.PLAIN;
            default -> null;
        };
    }

    /**
     * {@code agent.tool-call-format}: auto is qwen for chat turns when the model's chat template writes
     * {@code <tool_call>} blocks, else plain; the built-in policy's alphabet cannot write Qwen's calls.
     */
    private static ToolCalls toolCalls(Reader r, Path modelPath, Turns format) {
        String name = r.choice("agent.tool-call-format", Set.of("auto", "plain", "qwen"));
        if (name.equals("qwen") && modelPath == null) {
            r.problem("agent.tool-call-format", "qwen needs a Hugging Face model (model.path): the built-in policy's "
                    + "alphabet (" + GuessTask.ALPHABET + ") cannot write <tool_call> blocks");
            return null;
        }
        String template = format == Turns.CHAT ? HfTokenizer.chatTemplateText(modelPath) : null;
        return switch (name) {
            case "qwen" -> ToolCalls.QWEN;
            case "plain" -> ToolCalls.PLAIN;
            case "auto" -> template != null && template.contains("<tool_call>") ? ToolCalls.QWEN : ToolCalls.PLAIN;
            default -> null;
        };
    }

    /** {@code agent.http}, read when {@code agent.environment = http}: a missing URL is a problem naming the key. */
    private static HttpEnvironmentSettings httpEnvironment(Reader r, Duration timeout, Duration backoff) {
        SectionReader http = r.section("agent.http");
        URI url = HttpVerifier.Settings.url(http, "environment service");
        SectionReader breaker = http.section("breaker");
        return new HttpEnvironmentSettings(url, new JsonPost.Settings(timeout.isNegative() || timeout.isZero()
                ? Duration.ofSeconds(1) : timeout, 0, backoff, http.atLeast("concurrency", 1),
                http.atLeast("max-response-bytes", 1), breaker.atLeast("failures", 1),
                breaker.positiveDuration("cool-down"), "agent.http"));
    }

    /** What an agent run cannot be combined with (yet). */
    private static void agentProblems(Reader r, long seed, AgentSettings agent, PipelineSettings pipeline,
                                      ClusterSettings cluster, DataSettings data) {
        if (agent != null && data.prompts() == null) {
            try { // both splits must hold secrets: a tiny space of strings can fall on one side for some seeds
                agent.guessTasks(seed, false).heldOut();
            } catch (IllegalArgumentException e) {
                r.problem("agent.guess", e.getMessage());
            }
        }
        if (pipeline != null && pipeline.mode() == Mode.LOCKSTEP) {
            r.problem("pipeline.mode", "task.name = guess (episodes) runs in streaming mode only");
        }
        if (cluster != null && cluster.remoteSamplers()) {
            r.problem("cluster.remote-samplers", "task.name = guess plays its episodes on the learner's machine");
        }
    }

    /**
     * The verifier's own settings ({@link Verifiers#check}: unknown names, bad values in the sections of the
     * verifiers in use) and whether it suits the prompts: {@code task} only with the built-in task, which in turn
     * needs {@code task} (alone or as a part of {@code weighted}).
     */
    private static void verifierProblems(Reader r, Config c, VerifierSettings verifier, DataSettings data,
                                         boolean agent) {
        if (!c.hasPath("verifier") || verifier.name().isEmpty()) {
            return;
        }
        List<String> problems = Verifiers.builtIn().check(c.getConfig("verifier"));
        r.problems.addAll(problems);
        if (!problems.isEmpty() && !VERIFIERS.contains(verifier.name())) {
            return;
        }
        Set<String> used = Verifiers.usedNames(c.getConfig("verifier"));
        if (agent) {
            return; // the environment rewards an agent run's episodes: no verifier is asked
        }
        if (used.contains("task") && data.prompts() != null) {
            r.problem("verifier.name", "'task' checks the built-in task; with data.prompts choose a verifier for "
                    + "the file's rows (for example exact or math)");
        } else if (!used.contains("task") && data.prompts() == null) {
            r.problem("verifier.name", "'" + verifier.name() + "' needs data.prompts (the built-in task uses 'task')");
        }
    }

    /** The {@code lora} and {@code memory} sections, and what LoRA cannot be combined with. */
    private static void memoryProblems(Reader r, Config c, Path modelPath, GrpoConfig grpo) {
        try {
            r.problems.addAll(memory(c).problems());
        } catch (ConfigException e) {
            r.problems.add("memory: " + e.getMessage() + " (memory.budget is auto, off or a size such as 16G; "
                    + "memory.logits-chunk a size such as 64M)");
        }
        LoraConfig lora;
        try {
            lora = lora(c);
        } catch (ConfigException e) {
            r.problems.add("lora: " + e.getMessage());
            return;
        }
        r.problems.addAll(lora.problems());
        if (!lora.enabled()) {
            return;
        }
        if (modelPath == null) {
            r.problem("lora.rank", "adapters need a pretrained model to adapt: set model.path (or lora.rank = 0)");
        }
        if (grpo != null && grpo.referenceSync().every() > 0) {
            r.problem("grpo.ref-sync-every", "cannot move the reference with LoRA (the reference is the frozen base "
                    + "itself): set it to 0 or lora.rank = 0");
        }
    }

    private static LoraConfig lora(Config root) {
        Config c = root.getConfig("lora");
        return new LoraConfig(c.getInt("rank"), c.getDouble("alpha"), LoraConfig.targets(c.getStringList("targets")),
                c.getDouble("dropout"), c.getString("sampler").toLowerCase(Locale.ROOT));
    }

    private static MemorySettings memory(Config root) {
        Config c = root.getConfig("memory");
        String b = c.getValue("budget").unwrapped().toString().trim().toLowerCase(Locale.ROOT);
        long budget = b.equals("auto") ? MemorySettings.AUTO : b.equals("off") ? MemorySettings.OFF
                : c.getBytes("budget");
        return new MemorySettings(budget, c.getBytes("logits-chunk"), c.getString("recompute").toLowerCase(Locale.ROOT));
    }

    /** The {@code lora} section (rank 0: full fine-tuning). */
    public LoraConfig lora() {
        return lora(raw);
    }

    /** The {@code memory} section. */
    public MemorySettings memory() {
        return memory(raw);
    }

    private static GrpoConfig grpo(Reader r, SamplingParams sampling, TrainSettings train) {
        String scale = r.choice("grpo.scale", OptionNames.all(AdvantageScale.class));
        String advantage = r.choice("grpo.advantage", Set.of("grpo", "ngrpo"));
        String aggregation = r.choice("grpo.aggregation", OptionNames.all(Aggregation.class));
        String level = r.choice("grpo.ratio-level", OptionNames.all(RatioLevel.class));
        String schedule = r.choice("optim.schedule", OptionNames.all(LrSchedule.Kind.class));
        int numIterations = r.integer("grpo.num-iterations");
        double lr = r.number("optim.lr");
        int warmup = r.integer("optim.warmup-steps");
        double minRatio = r.number("optim.min-lr-ratio");
        r.atLeast("optim.warmup-steps", warmup, 0);
        if (!(minRatio >= 0 && minRatio <= 1)) {
            r.problem("optim.min-lr-ratio", "must be in [0, 1], got " + minRatio);
        }
        if (sampling == null || scale.isEmpty() || advantage.isEmpty() || aggregation.isEmpty() || level.isEmpty()
                || schedule.isEmpty()) {
            return null;
        }
        try {
            // read in the order of the keys' sections, so that problems are reported in that order
            int groupSize = r.integer("grpo.group-size");
            AdvantageScale advantageScale = OptionNames.parse(AdvantageScale.class, scale);
            Ngrpo ngrpo = advantage.equals("ngrpo") ? ngrpo(r) : null;
            GrpoLoss.Settings loss = new GrpoLoss.Settings(OptionNames.parse(Aggregation.class, aggregation),
                    OptionNames.parse(RatioLevel.class, level), r.number("grpo.eps-low"), r.number("grpo.eps-high"),
                    r.number("grpo.beta"), r.number("grpo.is-cap"), sampling.maxNewTokens(),
                    r.number("grpo.entropy-coef"));
            boolean maskTruncated = r.bool("grpo.mask-truncated");
            GrpoConfig.Passes passes = new GrpoConfig.Passes(numIterations, r.integer("grpo.micro-batch-tokens"),
                    maskTruncated, r.bool("grpo.guidance.train-forced"),
                    sampling.temperature() == 0 ? 1.0 : sampling.temperature());
            double maxGradNorm = r.number("optim.max-grad-norm");
            LrSchedule lrSchedule = new LrSchedule(OptionNames.parse(LrSchedule.Kind.class, schedule), lr, warmup,
                    (long) train.steps() * Math.max(1, numIterations), minRatio);
            GrpoConfig.Optim optim = new GrpoConfig.Optim(lrSchedule, r.number("optim.beta1"), r.number("optim.beta2"),
                    r.number("optim.eps"), r.number("optim.weight-decay"), maxGradNorm);
            int maxNonFinite = r.integer("grpo.max-non-finite");
            GrpoConfig.ReferenceSync sync = new GrpoConfig.ReferenceSync(r.integer("grpo.ref-sync-every"),
                    r.number("grpo.ref-sync-alpha"));
            return new GrpoConfig(groupSize, advantageScale, ngrpo, loss, passes, optim, sync, maxNonFinite);
        } catch (IllegalArgumentException e) {
            r.problems.add(e.getMessage());
            return null;
        }
    }

    /** NGRPO's virtual samples ({@code grpo.ngrpo}); problems are reported, and then null is returned. */
    private static Ngrpo ngrpo(Reader r) {
        int count = r.integer("grpo.ngrpo.virtual-count");
        double reward = r.number("grpo.ngrpo.virtual-reward");
        r.atLeast("grpo.ngrpo.virtual-count", count, 1);
        if (!Double.isFinite(reward)) {
            r.problem("grpo.ngrpo.virtual-reward", "must be finite, got " + reward);
        }
        return count >= 1 && Double.isFinite(reward) ? new Ngrpo(count, reward, Ngrpo.EPS) : null;
    }

    /** G²RPO-A's guided rollouts ({@code grpo.guidance}), checked against G and the token limit. */
    private static GuidanceSettings guidance(Reader r, GrpoConfig grpo, SamplingParams sampling) {
        GuidanceSettings g = new GuidanceSettings(r.integer("grpo.guidance.count"), r.number("grpo.guidance.fraction"),
                r.integer("grpo.guidance.initial-length"), r.integer("grpo.guidance.max-length"));
        r.atLeast("grpo.guidance.count", g.count(), 0);
        if (!(g.fraction() >= 0 && g.fraction() <= 1)) {
            r.problem("grpo.guidance.fraction", "must be in [0, 1], got " + g.fraction());
        }
        if (g.count() > 0 && g.fraction() > 0) {
            r.problem("grpo.guidance.fraction", "set either grpo.guidance.count or grpo.guidance.fraction, not both");
        }
        if (grpo != null && g.count() > grpo.groupSize()) {
            r.problem("grpo.guidance.count", g.count() + " is more than grpo.group-size " + grpo.groupSize());
        }
        r.atLeast("grpo.guidance.max-length", g.maxLength(), 1);
        if (g.initialLength() < 1 || g.initialLength() > g.maxLength()) {
            r.problem("grpo.guidance.initial-length", "must be in [1, grpo.guidance.max-length = " + g.maxLength()
                    + "], got " + g.initialLength());
        }
        boolean on = grpo != null && g.guided(grpo.groupSize()) > 0;
        if (on && sampling != null && g.maxLength() >= sampling.maxNewTokens()) {
            r.problem("grpo.guidance.max-length", "must be less than sampling.max-new-tokens ("
                    + sampling.maxNewTokens() + "): a guided completion needs room after its forced tokens");
        }
        return g;
    }

    /** The run directory to use: the configured one, or runs/&lt;timestamp&gt;. */
    public Path resolvedRunDir() {
        if (runDir != null) {
            return runDir;
        }
        return Path.of("runs", LocalDateTime.now().format(
                DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    }
}
