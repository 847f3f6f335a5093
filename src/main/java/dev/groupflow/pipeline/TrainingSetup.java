package dev.groupflow.pipeline;

import ai.djl.ndarray.NDManager;
import dev.groupflow.checkpoint.Checkpointer;
import dev.groupflow.checkpoint.TrainerState;
import dev.groupflow.config.RunConfig;
import dev.groupflow.data.BadRow;
import dev.groupflow.data.DataPosition;
import dev.groupflow.data.DigitTask;
import dev.groupflow.data.JsonlPrompts;
import dev.groupflow.data.PromptSource;
import dev.groupflow.grpo.Learner;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.Checkpoints;
import dev.groupflow.model.Devices;
import dev.groupflow.model.ModelConfig;
import dev.groupflow.model.TrainingMemory;
import dev.groupflow.model.tokenizer.CharTokenizer;
import dev.groupflow.model.tokenizer.TextTokenizer;
import dev.groupflow.model.tokenizer.Tokenizers;
import dev.groupflow.metrics.RunFiles;
import dev.groupflow.verify.LatencyVerifier;
import dev.groupflow.verify.Verifier;
import dev.groupflow.verify.VerifierCalls;
import dev.groupflow.verify.Verifiers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything a run is made of, built from its {@link RunConfig}: the policy (fresh, from a checkpoint directory,
 * or resumed), tokenizer, reference model (only when beta &gt; 0), learner, published weights, prompt stream,
 * verifier, run files and checkpointer. Both pipeline modes run on one of these.
 */
public final class TrainingSetup implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingSetup.class);

    public final RunConfig config;
    public final NDManager manager;
    public final TextTokenizer tokenizer;
    public final CausalLm policy;
    public final CausalLm reference;

    /** The prompts file and its SHA-256 as it was when this process started (both null: no prompts file). */
    private final Path promptsFile;
    private final String promptsDigest;

    /** In a checkpoint: the reference model's weights, when {@code grpo.ref-sync-every} moves them. */
    public static final String REFERENCE_FILE = "reference.safetensors";
    public final Learner learner;
    public final WeightStore weights;
    public final PromptSource source;
    public final PromptEncoder encoder;
    public final Verifier verifier;
    public final VerifierCalls calls;
    public final ScheduledExecutorService scheduler;
    public final RunFiles files;
    public final Checkpointer checkpointer;
    public final PipelineGauges gauges = new PipelineGauges();
    public final long startStep;
    public final DataPosition startData;
    public final long samplesTrainedBefore;
    private final Consumer<Path> tokenizerFiles;

    /**
     * What an embedding application supplies instead of the configuration's: a prompt source (say, a Pekko Streams
     * source of its own), a verifier (say, one of its actors), or both. Null fields mean "from the configuration".
     */
    public record Overrides(PromptSource source, Verifier verifier) {
        public static final Overrides NONE = new Overrides(null, null);
    }

    private TrainingSetup(RunConfig config, NDManager manager, TextTokenizer tokenizer, CausalLm policy,
                          CausalLm reference, Checkpointer.Loaded resumed, Consumer<Path> tokenizerFiles,
                          PromptSource source, RunFiles files, Checkpointer checkpointer, Verifier verifierOverride) {
        this.config = config;
        this.manager = manager;
        this.tokenizer = tokenizer;
        this.policy = policy;
        this.reference = reference;
        this.tokenizerFiles = tokenizerFiles;
        this.source = source;
        this.files = files;
        this.checkpointer = checkpointer;
        this.learner = new Learner(policy, reference, config.grpo(), tokenizer.padId());
        TrainerState state = resumed == null ? null : resumed.state();
        if (resumed != null) {
            learner.importState(new Learner.State(state.updates(), state.skippedUpdates(), state.consecutiveNonFinite(),
                    resumed.optimizer()));
        }
        this.promptsFile = source instanceof dev.groupflow.data.JsonlPrompts jsonl ? jsonl.file() : null;
        this.promptsDigest = promptsFile == null ? null : dev.groupflow.data.FileDigest.sha256Remembered(promptsFile);
        this.startStep = state == null ? 0 : state.step();
        this.startData = state == null ? DataPosition.start() : state.data();
        this.samplesTrainedBefore = state == null ? 0 : state.samplesTrained();
        int retain = config.deterministic() ? config.pipeline().maxStaleness() + 1 : 1;
        this.weights = PolicyAssembly.liveWeights(config) ? WeightStore.live(policy, manager, startStep)
                : new WeightStore(policy, manager, startStep, retain);
        learner.beforeUpdates(weights::beforeUpdate);
        if (resumed != null && config.deterministic()) {
            restoreOlderVersions(resumed.dir());
        }
        if (config.cluster() != null && config.cluster().remoteSamplers()) {
            // weights shared with sampler workers by an earlier process of this run (it crashed, this one resumes)
            // may hold other weights under the version numbers this process will publish
            dev.groupflow.cluster.RemoteSamplerBridge.clearShared(files.dir().resolve("weights"));
        }
        int context = policy.config().maxPositionEmbeddings() - config.sampling().maxNewTokens();
        int maxPrompt = config.data().maxPromptTokens() > 0 ? Math.min(config.data().maxPromptTokens(), context) : context;
        this.encoder = new PromptEncoder(tokenizer, config.data().chatTemplate(), maxPrompt,
                config.data().failOnLongPrompts());
        this.scheduler = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "groupflow-verifier-timer");
            t.setDaemon(true);
            return t;
        });
        this.verifier = verifierOverride != null ? verifierOverride
                : config.cluster().remoteVerifiers() ? new dev.groupflow.cluster.RemoteVerifier()
                : verifier(config, scheduler);
        this.calls = new VerifierCalls(verifier, config.verifier().timeout(), config.verifier().retries(),
                config.verifier().retryBackoff(), scheduler);
    }

    private Verifier localVerifier;
    private VerifierCalls localCalls;

    /**
     * Verifier calls that work without the run's actor system (the held-out evaluation after a run): the run's own
     * calls, or, when verification runs on cluster workers, calls to a verifier built here from the configuration.
     */
    public synchronized VerifierCalls evaluationCalls() {
        if (!(verifier instanceof dev.groupflow.cluster.RemoteVerifier)) {
            return calls;
        }
        if (localCalls == null) {
            localVerifier = verifier(config, scheduler);
            localCalls = new VerifierCalls(localVerifier, config.verifier().timeout(), config.verifier().retries(),
                    config.verifier().retryBackoff(), scheduler);
        }
        return localCalls;
    }

    private static final java.util.regex.Pattern OLDER = java.util.regex.Pattern.compile(
            "(weights|adapters)-v(\\d+)\\.safetensors");

    /** Deterministic resume: the older versions the prompts in flight were (and will again be) sampled with. */
    private void restoreOlderVersions(Path checkpoint) {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(checkpoint)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.util.regex.Matcher m = OLDER.matcher(f.getFileName().toString());
                if (m.matches() && m.group(1).equals("adapters")) {
                    try (CausalLm older = policy.copy(manager)) { // the shared base with a copy of the adapters
                        older.adapters().readWeights(f);
                        weights.restore(Long.parseLong(m.group(2)), older);
                    }
                } else if (m.matches()) {
                    try (CausalLm older = Checkpoints.loadWeightsFile(policy.config(), f, manager)) {
                        weights.restore(Long.parseLong(m.group(2)), older);
                    }
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + checkpoint + ": " + e.getMessage(), e);
        }
    }

    /** The architecture of the built-in policy for the built-in task. */
    public static ModelConfig builtinModel(RunConfig c, int vocab) {
        RunConfig.ModelSettings m = c.model();
        int positions = 2 * c.task().maxLength() + c.sampling().maxNewTokens() + 16;
        return new ModelConfig("qwen3", vocab, m.hiddenSize(), m.intermediateSize(), m.layers(), m.heads(), m.kvHeads(),
                m.hiddenSize() / m.heads(), 1e-6, 10000.0, null, false, false, false, false, true,
                Math.max(64, positions), CharTokenizer.BOS, List.of(CharTokenizer.EOS), "float32");
    }

    /**
     * Builds a run in {@code runDir}. With {@code resume}, the newest valid checkpoint there supplies weights,
     * optimizer state and data position.
     */
    public static TrainingSetup create(RunConfig config, Path runDir, boolean resume) {
        return create(config, runDir, resume, Overrides.NONE);
    }

    /** As {@link #create(RunConfig, Path, boolean)}, with the prompt source or verifier supplied by the caller. */
    public static TrainingSetup create(RunConfig config, Path runDir, boolean resume, Overrides overrides) {
        RunFiles files = new RunFiles(runDir);
        Checkpointer checkpointer = new Checkpointer(files.checkpoints(), config.checkpoint().keep());
        Checkpointer.Loaded resumed = null;
        if (resume) {
            resumed = checkpointer.latest().orElseThrow(() -> new IllegalArgumentException(
                    "--resume: no complete checkpoint in " + files.checkpoints()));
            LOG.info("resuming from {} (step {})", resumed.dir(), resumed.state().step());
            files.truncateTo(resumed.state().step());
        } else {
            files.truncateTo(0); // a fresh start (say, after a crash before the first checkpoint) starts over
        }
        if (config.deterministic()) {
            Determinism.singleThreaded();
        }
        NDManager manager = NDManager.newBaseManager(Devices.resolve(config.model().device()));
        PromptSource source = null;
        try {
            TextTokenizer tokenizer;
            CausalLm policy;
            CausalLm reference = null;
            Consumer<Path> tokenizerFiles;
            ModelConfig arch;
            source = overrides.source() != null ? overrides.source() : source(config, files);
            if (config.model().path() != null) {
                Path dir = config.model().path();
                arch = ModelConfig.load(dir.resolve("config.json"));
                tokenizer = Tokenizers.load(dir, new HashSet<>(arch.eosTokenIds()));
                tokenizerFiles = target -> Checkpoints.copyTokenizerFiles(dir, target);
            } else {
                CharTokenizer chars = new CharTokenizer(DigitTask.ALPHABET);
                tokenizer = chars;
                arch = builtinModel(config, chars.vocabSize());
                tokenizerFiles = target -> Tokenizers.save(chars, target);
            }
            int context = arch.maxPositionEmbeddings() - config.sampling().maxNewTokens();
            PolicyAssembly.checkMemory(config, arch, PolicyAssembly.promptTokens(config, source,
                    new PromptEncoder(tokenizer, config.data().chatTemplate(), Math.max(1, context), false), context));
            if (config.model().path() != null) {
                PolicyAssembly.Models models = PolicyAssembly.load(config, config.model().path(), resumed, manager);
                policy = models.policy();
                reference = models.reference();
            } else {
                policy = resumed != null ? Checkpoints.load(resumed.dir(), manager)
                        : CausalLm.random(arch, manager, config.seed());
                if (config.grpo().beta() > 0) {
                    reference = CausalLm.random(arch, manager, config.seed());
                }
            }
            if (reference != null && resumed != null && Files.isRegularFile(resumed.dir().resolve(REFERENCE_FILE))) {
                CausalLm synced = Checkpoints.loadWeightsFile(reference.config(), resumed.dir().resolve(REFERENCE_FILE),
                        manager);
                reference.close();
                reference = synced;
            }
            TrainingMemory memory = config.memory().trainingMemory(policy.parameterCount());
            policy.setTrainingMemory(memory);
            policy.suppressTokens(tokenizer.neverGenerated());
            if (reference != null) {
                reference.setTrainingMemory(memory);
                reference.suppressTokens(tokenizer.neverGenerated());
            }
            return new TrainingSetup(config, manager, tokenizer, policy, reference, resumed, tokenizerFiles, source,
                    files, checkpointer, overrides.verifier());
        } catch (RuntimeException e) {
            if (source instanceof AutoCloseable a && overrides.source() == null) {
                try {
                    a.close();
                } catch (Exception ignored) {
                    // the original error is what matters
                }
            }
            manager.close();
            files.close();
            throw e;
        }
    }

    /**
     * The prompt stream. A prompts file's malformed rows are quarantined (every one, with line number and reason, in
     * RUN_DIR/quarantine.jsonl) and left out; above {@code data.max-bad-fraction} of all rows the run refuses to
     * start, listing the first of them.
     */
    static PromptSource source(RunConfig c, RunFiles files) {
        if (c.data().prompts() == null) {
            return new DigitTask(c.task().name(), c.task().minLength(), c.task().maxLength(), c.seed(), false);
        }
        JsonlPrompts prompts = JsonlPrompts.open(c.data().prompts(), c.data().epochs(), c.data().shuffle(), c.seed());
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
                throw new IllegalArgumentException(sb + "\n" + String.format(java.util.Locale.ROOT,
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

    /** The configured verifier ({@link Verifiers#builtIn()}), with artificial latency when configured. */
    static Verifier verifier(RunConfig c, ScheduledExecutorService scheduler) {
        Verifier v = Verifiers.builtIn().create(c.raw().getConfig("verifier"), scheduler);
        RunConfig.Latency l = c.verifier().latency();
        return l.distribution().equals("none") ? v
                : new LatencyVerifier(v, l.distribution(), l.mean(), l.sigma(), c.seed(), scheduler);
    }

    /** Writes the tokenizer's files into a directory (a checkpoint, or weights shared with sampler workers). */
    public void writeTokenizerFiles(Path dir) {
        tokenizerFiles.accept(dir);
    }

    /** A fresh replica of the published policy (for a sampler), on the run's device. */
    public Supplier<CausalLm> replicaFactory() {
        // lockstep never samples while it learns: its sampler reads the learner's own weights when it can
        boolean share = config.pipeline().mode() == RunConfig.Mode.LOCKSTEP;
        boolean merged = config.lora().enabled() && config.lora().mergedSampler();
        return () -> weights.newReplica(manager, share, merged);
    }

    /** Writes a checkpoint of the current learner state at {@code step}. */
    public Path checkpoint(long step, DataPosition data, long samplesTrained) {
        Learner.State s = learner.checkpointState();
        TrainerState state = new TrainerState(step, step, s.updates(), s.skippedUpdates(), s.consecutiveNonFinite(),
                s.optimizer().step(), data, samplesTrained);
        return checkpointer.write(step, policy, tokenizerFiles, s, state,
                dev.groupflow.config.Settings.render(config.raw()), dir -> {
                    try {
                        java.nio.file.Files.copy(files.ledgerFile(), dir.resolve(RunFiles.LEDGER));
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    if (config.deterministic()) {
                        weights.forEachOlder((v, m) -> {
                            if (m.adapters() != null) {
                                m.adapters().saveWeights(dir.resolve("adapters-v" + v + ".safetensors"));
                            } else {
                                Checkpoints.saveWeightsFile(m, dir.resolve("weights-v" + v + ".safetensors"));
                            }
                        });
                    }
                    if (promptsDigest != null) {
                        // a resume refuses a prompts file whose rows have changed under the recorded keys
                        dev.groupflow.data.FileDigest.record(dir, promptsDigest, promptsFile);
                    }
                    if (reference != null && config.grpo().refSyncEvery() > 0) {
                        // the reference has moved towards the policy: a resume must start from where it is now
                        Checkpoints.saveWeightsFile(reference, dir.resolve(REFERENCE_FILE));
                    }
                });
    }

    @Override
    public void close() {
        verifier.close();
        synchronized (this) {
            if (localVerifier != null) {
                localVerifier.close();
            }
        }
        scheduler.shutdownNow();
        learner.close();
        weights.close();
        if (source instanceof AutoCloseable a) {
            try {
                a.close();
            } catch (Exception ignored) {
                // read-only file
            }
        }
        tokenizer.close();
        files.close();
        manager.close();
    }
}
