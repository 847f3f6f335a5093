package dev.groupflow.run;

import ai.djl.ndarray.NDManager;
import dev.groupflow.agent.Environment;
import dev.groupflow.agent.GuessEnvironment;
import dev.groupflow.agent.GuessTask;
import dev.groupflow.checkpoint.Checkpointer;
import dev.groupflow.checkpoint.RunCheckpoints;
import dev.groupflow.cluster.RemoteSamplerBridge;
import dev.groupflow.config.Settings;
import dev.groupflow.data.BadRow;
import dev.groupflow.data.DataPosition;
import dev.groupflow.data.DigitTask;
import dev.groupflow.data.FileDigest;
import dev.groupflow.data.JsonlPrompts;
import dev.groupflow.data.PromptSource;
import dev.groupflow.grpo.GuidanceLength;
import dev.groupflow.grpo.GuidanceSchedule;
import dev.groupflow.grpo.Learner;
import dev.groupflow.metrics.PipelineGauges;
import dev.groupflow.metrics.ProgressLine;
import dev.groupflow.metrics.RunFiles;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.Devices;
import dev.groupflow.model.HfCheckpoints;
import dev.groupflow.model.ModelConfig;
import dev.groupflow.model.TrainingMemory;
import dev.groupflow.model.tokenizer.CharTokenizer;
import dev.groupflow.model.tokenizer.TextTokenizer;
import dev.groupflow.model.tokenizer.Tokenizers;
import dev.groupflow.pipeline.Determinism;
import dev.groupflow.pipeline.EpisodeSamplerActor;
import dev.groupflow.pipeline.GroupFilter;
import dev.groupflow.pipeline.LockstepTrainer;
import dev.groupflow.pipeline.PromptEncoder;
import dev.groupflow.pipeline.PromptSupply;
import dev.groupflow.pipeline.RolloutSampler;
import dev.groupflow.pipeline.SamplerActor;
import dev.groupflow.pipeline.StepReporter;
import dev.groupflow.pipeline.TrainingCore;
import dev.groupflow.pipeline.TrainingSupervisor;
import dev.groupflow.pipeline.WeightStore;
import dev.groupflow.sampling.Policy;
import dev.groupflow.verify.Verifier;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A training run assembled from its configuration, in one place. It loads the policy (fresh, from a Hugging Face
 * directory, or resumed from a checkpoint), the reference model (only when beta &gt; 0), the learner, the published
 * weights, the prompt stream and the verifier, owns them until it is closed, and builds each stage's settings as
 * the diagram in {@code docs/architecture.md} draws the stream:
 *
 * <pre>
 *   supply() ──prompts──▶ sampler() ──rollouts──▶ verification() ──groups──▶ core() ──weights──▶ sampler()
 * </pre>
 *
 * {@link #stages} wires them as actors and a stream ({@link StreamingRun}); {@link #lockstep} runs the same parts
 * one after the other.
 */
public final class RunAssembly implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RunAssembly.class);

    /**
     * What an embedding application supplies instead of the configuration's: a prompt source (say, a Pekko Streams
     * source of its own), a verifier (say, one of its actors), an agent run's environment (say, an
     * {@code ActorEnvironment} in front of one of its actors), or any of them.
     */
    public record Overrides(Optional<PromptSource> source, Optional<Verifier> verifier,
                            Optional<Environment> environment) {
        public static final Overrides NONE = new Overrides(Optional.empty(), Optional.empty(), Optional.empty());

        public Overrides(Optional<PromptSource> source, Optional<Verifier> verifier) {
            this(source, verifier, Optional.empty());
        }
    }

    /**
     * Where the run starts.
     *
     * @param step learner steps already done (0, or the resumed checkpoint's)
     * @param data the data position
     * @param samplesTrained samples trained before this process
     */
    public record Start(long step, DataPosition data, long samplesTrained) {
        static final Start FRESH = new Start(0, DataPosition.start(), 0);
    }

    private final RunConfig config;
    private final RunFiles files;
    private final Policy policy;
    private final Optional<CausalLm> reference;
    private final Consumer<Path> tokenizerFiles;
    private final Start start;
    private final PromptSource source;
    private final PromptEncoder encoder;
    private final Learner learner;
    private final WeightStore weights;
    private final RunVerifiers verifiers;
    private final RunCheckpoints checkpoints;
    private final PipelineGauges gauges = new PipelineGauges();
    private final RunEnvironment environment; // agent runs only
    private final Optional<GuidanceSchedule> guidance;

    /**
     * Builds a run in {@code runDir}. With {@code resume}, the newest valid checkpoint there supplies weights,
     * optimizer state and data position.
     */
    public static RunAssembly create(RunConfig config, Path runDir, boolean resume) {
        return create(config, runDir, resume, Overrides.NONE);
    }

    /** As {@link #create(RunConfig, Path, boolean)}, with the prompt source or verifier supplied by the caller. */
    public static RunAssembly create(RunConfig config, Path runDir, boolean resume, Overrides overrides) {
        RunFiles files = new RunFiles(runDir);
        Checkpointer checkpointer = new Checkpointer(files.checkpoints(), config.checkpoint().keep());
        Optional<Checkpointer.Loaded> resumed = Optional.empty();
        if (resume) {
            resumed = Optional.of(checkpointer.latest().orElseThrow(() -> new IllegalArgumentException(
                    "--resume: no complete checkpoint in " + files.checkpoints())));
            LOG.info("resuming from {} (step {})", resumed.get().dir(), resumed.get().state().step());
            files.truncateTo(resumed.get().state().step());
        } else {
            files.truncateTo(0); // a fresh start (say, after a crash before the first checkpoint) starts over
        }
        if (config.deterministic()) {
            Determinism.singleThreaded();
        }
        Policy policy = null;
        PromptSource source = null;
        try {
            source = overrides.source().orElseGet(() -> source(config, files, builtInGame(config, overrides)));
            checkMemory(config, source);
            policy = policy(config, resumed);
            return new RunAssembly(config, files, checkpointer, policy, resumed, source, overrides);
        } catch (RuntimeException e) {
            if (source instanceof AutoCloseable c && overrides.source().isEmpty()) {
                close(c);
            }
            if (policy != null) {
                policy.close();
            }
            files.close();
            throw e;
        }
    }

    private RunAssembly(RunConfig config, RunFiles files, Checkpointer checkpointer, Policy policy,
                        Optional<Checkpointer.Loaded> resumed, PromptSource source, Overrides overrides) {
        this.config = config;
        this.files = files;
        this.policy = policy;
        this.source = source;
        this.reference = reference(config, policy, resumed);
        this.tokenizerFiles = tokenizerFiles(config, policy);
        this.start = resumed.map(r -> new Start(r.state().step(), r.state().data(), r.state().samplesTrained()))
                .orElse(Start.FRESH);
        TrainingMemory memory = config.memory().trainingMemory(policy.model().parameterCount());
        policy.model().setTrainingMemory(memory);
        reference.ifPresent(r -> r.setTrainingMemory(memory));
        this.learner = new Learner(policy.model(), reference.orElse(null), config.grpo(), policy.tokenizer().padId());
        resumed.ifPresent(r -> learner.importState(new Learner.State(r.state().updates(), r.state().skippedUpdates(),
                r.state().consecutiveNonFinite(), r.optimizer())));
        int retain = config.deterministic() ? config.pipeline().maxStaleness() + 1 : 1;
        this.weights = PolicyAssembly.liveWeights(config) ? WeightStore.live(policy.model(), policy.manager(),
                start.step()) : new WeightStore(policy.model(), policy.manager(), start.step(), retain);
        learner.beforeUpdates(weights::beforeUpdate);
        if (config.deterministic()) {
            resumed.ifPresent(r -> RunCheckpoints.restoreOlderVersions(r.dir(), policy.model(), policy.manager(),
                    weights::restore));
        }
        if (config.cluster() != null && config.cluster().remoteSamplers()) {
            // weights shared with sampler workers by an earlier process of this run (it crashed, this one resumes)
            // may hold other weights under the version numbers this process will publish
            RemoteSamplerBridge.clearShared(files.dir().resolve("weights"));
        }
        int context = policy.model().config().maxPositionEmbeddings() - config.sampling().maxNewTokens();
        int maxPrompt = config.data().maxPromptTokens() > 0 ? Math.min(config.data().maxPromptTokens(), context)
                : context;
        this.encoder = config.task().agent() ? PromptEncoder.tasks(policy.tokenizer())
                : new PromptEncoder(policy.tokenizer(), config.data().chatTemplate(), maxPrompt,
                config.data().failOnLongPrompts(), config.data().chatTemplateVariables());
        this.verifiers = new RunVerifiers(config, overrides.verifier());
        this.environment = config.task().agent() ? new RunEnvironment(config.agent(), policy.tokenizer(),
                config.data().chatTemplateVariables(), overrides.environment()) : null;
        this.guidance = guidance(config, resumed, start.step());
        this.checkpoints = new RunCheckpoints(checkpointer, learner, new RunCheckpoints.Contents(
                Settings.render(config.raw()), tokenizerFiles, files.ledgerFile(),
                config.deterministic() ? weights::forEachOlder : RunCheckpoints.OlderVersions.NONE,
                promptsDigest(source), config.grpo().referenceSync().every() > 0 ? reference : Optional.empty(),
                guidance));
    }

    /**
     * G²RPO-A's guidance length, when the run guides completions: ℓ = {@code initial-length} at the start, or the
     * resumed checkpoint's state (the ℓ of the versions still in flight included, for deterministic resume).
     */
    private static Optional<GuidanceSchedule> guidance(RunConfig config, Optional<Checkpointer.Loaded> resumed,
                                                       long startStep) {
        RunConfig.GuidanceSettings g = config.guidance();
        if (g.guided(config.grpo().groupSize()) == 0) {
            return Optional.empty();
        }
        int keep = config.pipeline().maxStaleness() + 2; // every version a sampler may still sample with
        if (resumed.isPresent()) {
            Optional<GuidanceSchedule.State> saved = RunCheckpoints.guidance(resumed.get().dir());
            if (saved.isPresent()) {
                return Optional.of(new GuidanceSchedule(saved.get(), keep));
            }
            LOG.warn("{} has no guidance state (guidance was off): l starts at {}", resumed.get().dir(),
                    g.initialLength());
        }
        return Optional.of(new GuidanceSchedule(GuidanceLength.start(g.initialLength(), g.maxLength()), startStep,
                keep));
    }

    /**
     * The policy: a Hugging Face directory's (its weights, or a resumed checkpoint's, with its own tokenizer), or the
     * built-in task's (random from the seed, or resumed).
     */
    private static Policy policy(RunConfig config, Optional<Checkpointer.Loaded> resumed) {
        Path dir = config.model().path();
        if (dir != null) {
            // with adapters the frozen base is always the model's own; a checkpoint holds the adapters only
            Path weights = config.lora().enabled() ? dir : resumed.map(Checkpointer.Loaded::dir).orElse(dir);
            Policy policy = Policy.load(weights, dir, Devices.resolve(config.model().device()));
            try {
                PolicyAssembly.adapt(config, policy.model(), dir, resumed);
            } catch (RuntimeException e) {
                policy.close();
                throw e;
            }
            return policy;
        }
        CharTokenizer chars = new CharTokenizer(config.task().agent() ? GuessTask.ALPHABET : DigitTask.ALPHABET);
        NDManager manager = NDManager.newBaseManager(Devices.resolve(config.model().device()));
        try {
            CausalLm model = resumed.isPresent() ? HfCheckpoints.load(resumed.get().dir(), manager)
                    : CausalLm.random(builtinModel(config, chars.vocabSize()), manager, config.seed());
            model.suppressTokens(neverGenerated(config, chars));
            return new Policy(manager, model, chars);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Tokens the built-in policy never writes: padding and the beginning marker; in an agent run also the
     * characters only the environment writes ({@link GuessTask#ENVIRONMENT_ONLY}), so a guess is digits and the
     * end token.
     */
    static Set<Integer> neverGenerated(RunConfig config, CharTokenizer chars) {
        Set<Integer> ids = new TreeSet<>(chars.neverGenerated());
        if (config.task().agent()) {
            for (int id : chars.encode(GuessTask.ENVIRONMENT_ONLY)) {
                ids.add(id);
            }
        }
        return ids;
    }

    /**
     * The reference model, only when beta &gt; 0: the policy's starting weights, or, when a resumed run had moved it
     * ({@code grpo.ref-sync-every}), where it was at the checkpoint.
     */
    private static Optional<CausalLm> reference(RunConfig config, Policy policy,
                                                Optional<Checkpointer.Loaded> resumed) {
        if (config.grpo().loss().beta() <= 0) {
            return Optional.empty();
        }
        NDManager manager = policy.manager();
        if (policy.model().adapters() != null) {
            return Optional.of(policy.model().baseView(manager)); // the frozen base itself: nothing copied
        }
        Path dir = config.model().path();
        ModelConfig architecture = dir != null ? ModelConfig.load(dir.resolve("config.json"))
                : builtinModel(config, policy.tokenizer().vocabSize());
        Optional<Path> moved = resumed.flatMap(r -> RunCheckpoints.reference(r.dir()));
        CausalLm reference = moved.isPresent() ? HfCheckpoints.loadWeightsFile(architecture, moved.get(), manager)
                : dir != null ? HfCheckpoints.load(dir, manager)
                : CausalLm.random(architecture, manager, config.seed());
        reference.suppressTokens(policy.model().suppressedTokens());
        return Optional.of(reference);
    }

    /**
     * The memory plan, checked before any weight is read (refused with the plan when over budget): the architecture
     * from config.json (or the built-in one), the prompt length measured on the prompts.
     */
    private static void checkMemory(RunConfig config, PromptSource source) {
        Path dir = config.model().path();
        if (dir == null) {
            CharTokenizer chars = new CharTokenizer(DigitTask.ALPHABET);
            ModelConfig arch = builtinModel(config, chars.vocabSize());
            int context = arch.maxPositionEmbeddings() - config.sampling().maxNewTokens();
            PolicyAssembly.checkMemory(config, arch, PolicyAssembly.promptTokens(config, source, chars, context));
            return;
        }
        ModelConfig arch = ModelConfig.load(dir.resolve("config.json"));
        int context = arch.maxPositionEmbeddings() - config.sampling().maxNewTokens();
        try (TextTokenizer tokenizer = Tokenizers.load(dir, new HashSet<>(arch.eosTokenIds()))) {
            PolicyAssembly.checkMemory(config, arch, PolicyAssembly.promptTokens(config, source, tokenizer, context));
        }
    }

    /**
     * Writes the policy as a plain Hugging Face checkpoint with its tokenizer (adapters merged into the weights):
     * {@code train --export-merged}.
     */
    public void exportPolicy(Path dir) {
        HfCheckpoints.save(policy.model(), dir, HfCheckpoints.DEFAULT_MAX_SHARD_BYTES);
        tokenizerFiles.accept(dir);
    }

    /** Writes the tokenizer's files into a directory (a checkpoint, or weights shared with sampler workers). */
    private static Consumer<Path> tokenizerFiles(RunConfig config, Policy policy) {
        Path dir = config.model().path();
        if (dir != null) {
            return target -> HfCheckpoints.copyTokenizerFiles(dir, target);
        }
        CharTokenizer chars = (CharTokenizer) policy.tokenizer();
        return target -> Tokenizers.save(chars, target);
    }

    /** The architecture of the built-in policy for the built-in task. */
    public static ModelConfig builtinModel(RunConfig c, int vocab) {
        RunConfig.ModelSettings m = c.model();
        int positions = c.task().agent() ? c.agent().limits().maxTokens() + 16
                : 2 * c.task().maxLength() + c.sampling().maxNewTokens() + 16;
        return ModelConfig.of("qwen3", new ModelConfig.Size(vocab, m.hiddenSize(), m.intermediateSize(), m.layers(),
                m.heads(), m.kvHeads()), d -> {
                    d.qkNorm = true;
                    d.maxPositionEmbeddings = Math.max(64, positions);
                    d.bosTokenId = CharTokenizer.BOS;
                    d.eosTokenIds = List.of(CharTokenizer.EOS);
                });
    }

    /**
     * The prompt stream (an agent run's tasks). A prompts file's malformed rows (for the built-in guess game,
     * {@code guessRows}, also rows without a digit-string answer) are quarantined (every one, with line number and
     * reason, in RUN_DIR/quarantine.jsonl) and left out; above {@code data.max-bad-fraction} of all rows the run
     * refuses to start, listing the first of them.
     */
    static PromptSource source(RunConfig c, RunFiles files, boolean guessRows) {
        if (c.task().agent() && c.data().prompts() == null) {
            return c.agent().guessTasks(c.seed(), false);
        }
        if (c.data().prompts() == null) {
            return new DigitTask(c.task().name(), c.task().minLength(), c.task().maxLength(), c.seed(), false);
        }
        JsonlPrompts prompts = JsonlPrompts.open(c.data().prompts(), c.data().epochs(), c.data().shuffle(), c.seed(),
                guessRows ? GuessEnvironment::taskProblem : row -> null);
        List<BadRow> bad = prompts.badRows();
        if (!bad.isEmpty()) {
            Path quarantine = files.quarantine(prompts.file(), bad);
            double fraction = (double) bad.size() / prompts.totalRows();
            StringBuilder sb = new StringBuilder(prompts.file() + ": " + bad.size() + " of " + prompts.totalRows()
                    + " rows are malformed (quarantined in " + quarantine + "):");
            for (BadRow b : bad.subList(0, Math.min(20, bad.size()))) {
                sb.append("\n  line ").append(b.line()).append(": ").append(b.reason());
            }
            if (fraction > c.data().maxBadFraction()) {
                prompts.close();
                throw new IllegalArgumentException(sb + "\n" + String.format(Locale.ROOT,
                        "that is %.2f%% of the rows, above data.max-bad-fraction (%.2f%%): fix the file or raise the "
                                + "limit", 100 * fraction, 100 * c.data().maxBadFraction()));
            }
            LOG.warn("{}", sb);
        }
        if (prompts.size() == 0) {
            prompts.close();
            throw new IllegalArgumentException(c.data().prompts() + ": no prompts");
        }
        return prompts;
    }

    /**
     * Whether an agent run's episodes are the built-in guess game's (no environment supplied, none over HTTP): then
     * a tasks file's rows must each carry a digit string as their answer.
     */
    static boolean builtInGame(RunConfig c, Overrides overrides) {
        return c.task().agent() && overrides.environment().isEmpty() && c.agent().http() == null;
    }

    /** The prompts file and its SHA-256 as it was when this process started (empty: no prompts file). */
    private static Optional<RunCheckpoints.Digested> promptsDigest(PromptSource source) {
        return source instanceof JsonlPrompts jsonl
                ? Optional.of(new RunCheckpoints.Digested(jsonl.file(), FileDigest.sha256Remembered(jsonl.file())))
                : Optional.empty();
    }

    // ---- the stages, in the order of the stream ----

    /** The prompt supply: the data stream, admission control (S + 1 batches in flight), the data position. */
    PromptSupply.Settings supply() {
        return new PromptSupply.Settings(source, encoder, config.train().batchGroups(),
                config.pipeline().maxStaleness(), start.data(), gauges);
    }

    /** G completions of each prompt, with the run's sampling settings and seed. */
    private RolloutSampler.Settings rolloutSampling() {
        return new RolloutSampler.Settings(config.sampling(), config.grpo().groupSize(), config.seed(),
                config.guidance().guided(config.grpo().groupSize()));
    }

    /** The sampler: a replica of the published policy (a fresh one after each restart, counted). */
    SamplerActor.Settings sampler() {
        AtomicInteger incarnations = new AtomicInteger();
        Supplier<CausalLm> replicas = () -> {
            if (incarnations.getAndIncrement() > 0) {
                gauges.stageRestarts.incrementAndGet();
                LOG.warn("sampler restarted after a failure (restart {})", incarnations.get() - 1);
            }
            return weights.newReplica(policy.manager(), sharesLearnerWeights(),
                    config.lora().enabled() && config.lora().mergedSampler());
        };
        Optional<SamplerActor.ExactVersions> exact = config.deterministic()
                ? Optional.of(new SamplerActor.ExactVersions(config.train().batchGroups(),
                config.pipeline().maxStaleness()))
                : Optional.empty();
        return new SamplerActor.Settings("sampler-0", replicas, policy.tokenizer(), weights, rolloutSampling(),
                config.pipeline().samplerBatchPrompts(), exact, gauges, guidance.orElse(null));
    }

    /**
     * The episode stage of an agent run: G episodes of each task against the run's environment, a replica of the
     * published policy (a fresh one after each restart, counted).
     */
    EpisodeSamplerActor.Settings episodeSampler() {
        SamplerActor.Settings s = sampler();
        return new EpisodeSamplerActor.Settings("episodes-0", s.replicaFactory(), policy.tokenizer(), weights,
                environment.format(), environment.calls(), config.agent().limits(), config.sampling(),
                config.grpo().groupSize(), config.seed(), config.pipeline().samplerBatchPrompts(), s.exactVersions(),
                gauges, new AtomicLong());
    }

    /** Lockstep never samples while it learns: its sampler reads the learner's own weights when it can. */
    private boolean sharesLearnerWeights() {
        return config.pipeline().mode() == RunConfig.Mode.LOCKSTEP;
    }

    /** Sampling on sampler workers: the bridge shares each version's weights as a checkpoint directory. */
    private TrainingSupervisor.SamplerStage remoteSamplers() {
        RemoteSamplerBridge.Settings s = new RemoteSamplerBridge.Settings(weights,
                () -> weights.newReplica(policy.manager()), tokenizerFiles, files.dir().resolve("weights"),
                rolloutSampling(), config.pipeline().samplerBatchPrompts(), config.cluster().samplerJobs(),
                config.pipeline().maxStaleness() + 2, gauges);
        return new TrainingSupervisor.SamplerStage(RemoteSamplerBridge.ID,
                (supply, rollouts) -> RemoteSamplerBridge.create(s, supply, rollouts));
    }

    /** The verifier stream: calls with timeout and retries, group assembly, the zero-variance filter. */
    TrainingSupervisor.Verification verification() {
        int groupSize = config.grpo().groupSize();
        int bound = Math.max(1024, 2 * (config.pipeline().maxStaleness() + 1) * config.train().batchGroups()
                * groupSize);
        return new TrainingSupervisor.Verification(verifiers.calls(), config.verifier().concurrency(), groupSize,
                groupFilter(), bound);
    }

    /** The groups dropped before the learner: none, zero-variance ones, or (NGRPO's recipe) all-correct ones. */
    private GroupFilter groupFilter() {
        RunConfig.PipelineSettings p = config.pipeline();
        if (p.filterAllCorrect()) {
            return new GroupFilter.AllCorrect(config.raw().getDouble("grpo.ngrpo.virtual-reward"));
        }
        return p.filterZeroVariance() ? GroupFilter.ZERO_VARIANCE : GroupFilter.NONE;
    }

    /** The learner's step: staleness bound, batch membership, update, publishing, metrics, checkpoints. */
    TrainingCore core(StepReporter reporter) {
        return new TrainingCore(new TrainingCore.Settings(config.train().steps(), config.train().batchGroups(),
                config.pipeline().maxStaleness(), config.deterministic(), config.checkpoint().every(),
                config.checkpoint().maxConsecutiveFailures(),
                config.task().agent() ? config.agent().advantages(config.grpo().scale(), config.grpo().ngrpo())
                        : null), learner, weights,
                files, checkpoints, reporter, gauges, start.step(), guidance.orElse(null));
    }

    /** The streaming pipeline, every stage as {@link TrainingSupervisor} starts it. */
    public TrainingSupervisor.Stages stages(StepReporter reporter) {
        RunConfig.PipelineSettings p = config.pipeline();
        TrainingSupervisor.Restarts restarts = new TrainingSupervisor.Restarts(p.restartMinBackoff(),
                p.restartMaxBackoff(), p.maxRestarts());
        if (config.task().agent()) {
            EpisodeSamplerActor.Settings episodes = episodeSampler();
            return new TrainingSupervisor.Stages(supply(), new TrainingSupervisor.SamplerStage(episodes.id(),
                    (supply, groups) -> EpisodeSamplerActor.create(episodes, supply, groups)), restarts, null,
                    core(reporter), gauges, start.step(), ctx -> { });
        }
        SamplerActor.Settings local = sampler();
        TrainingSupervisor.SamplerStage sampler = config.cluster().remoteSamplers() ? remoteSamplers()
                : new TrainingSupervisor.SamplerStage(local.id(),
                        (supply, rollouts) -> SamplerActor.create(local, supply, rollouts));
        return new TrainingSupervisor.Stages(supply(), sampler, restarts, verification(), core(reporter), gauges,
                start.step(), verifiers::bind);
    }

    /** Lockstep mode: the same parts, one after the other. */
    public LockstepTrainer lockstep(StepReporter reporter) {
        return new LockstepTrainer(supply(), sampler(), verification(), core(reporter));
    }

    /**
     * A reporter of this run's steps.
     *
     * @param progressEvery a progress line every this many steps (when not in place)
     * @param completionsEvery one group of completions every this many steps (0 = none)
     */
    public StepReporter reporter(ProgressLine progress, int progressEvery, int completionsEvery) {
        return new StepReporter(files, gauges, config.train().steps(), progressEvery, completionsEvery, progress,
                start.samplesTrained());
    }

    /** The held-out evaluation of the policy being trained. */
    public HeldOutEvaluation heldOutEvaluation(ProgressLine progress) {
        return new HeldOutEvaluation(config, policy, encoder, verifiers::evaluationCalls, files, progress,
                environment == null ? null : new AgentEvaluation(config, environment));
    }

    public RunConfig config() {
        return config;
    }

    public RunFiles files() {
        return files;
    }

    public PipelineGauges gauges() {
        return gauges;
    }

    public Start start() {
        return start;
    }

    /** The policy being trained. */
    public CausalLm policy() {
        return policy.model();
    }

    /** The reference model (beta &gt; 0 only). */
    public Optional<CausalLm> reference() {
        return reference;
    }

    public PromptSource source() {
        return source;
    }

    /** G²RPO-A's guidance length (empty when the run guides no completion). */
    public Optional<GuidanceSchedule> guidance() {
        return guidance;
    }

    @Override
    public void close() {
        verifiers.close();
        if (environment != null) {
            environment.close();
        }
        learner.close();
        weights.close();
        if (source instanceof AutoCloseable c) {
            close(c);
        }
        policy.close();
        files.close();
    }

    private static void close(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // read-only file
        }
    }
}
