package dev.groupflow.cli;

import com.typesafe.config.ConfigFactory;
import dev.groupflow.bench.BenchShape;
import dev.groupflow.bench.ClusterBench;
import dev.groupflow.bench.DecoderBench;
import dev.groupflow.bench.DeterministicBench;
import dev.groupflow.bench.PipelineBench;
import dev.groupflow.bench.RealsizeBench;
import dev.groupflow.bench.SoakBench;
import dev.groupflow.bench.VerifierBench;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code groupflow bench ...}: benchmarks that print JSON lines. */
@Command(name = "bench", description = "Benchmarks; each prints JSON lines with its figures.",
        subcommands = {BenchCommand.SamplerBench.class, BenchCommand.LearnerBench.class,
                BenchCommand.PipelineBenchCommand.class, BenchCommand.VerifierBenchCommand.class,
                BenchCommand.SoakBenchCommand.class, BenchCommand.ClusterBenchCommand.class,
                BenchCommand.DeterministicBenchCommand.class, BenchCommand.RewardModelBenchCommand.class,
                BenchCommand.RealsizeBenchCommand.class})
final class BenchCommand implements Runnable {

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    abstract static class ShapeOptions {
        @Option(names = "--shape", defaultValue = "small", description = "small | medium (default: ${DEFAULT-VALUE})")
        String shape;

        @Option(names = "--threads", defaultValue = "2", description = "PyTorch intra-op threads (default: ${DEFAULT-VALUE})")
        int threads;

        @Option(names = "--repeats", defaultValue = "3", description = "timed runs after one warm-up (default: ${DEFAULT-VALUE})")
        int repeats;
    }

    @Command(name = "sampler", description = "KV-cache sampling throughput at the reference shapes.")
    static final class SamplerBench extends ShapeOptions implements Runnable {
        @Override
        public void run() {
            DecoderBench.threads(threads);
            System.out.println(DecoderBench.sampler(BenchShape.named(shape), repeats));
        }
    }

    @Command(name = "learner", description = "Training-step throughput (forward, log-probs, backward, AdamW).")
    static final class LearnerBench extends ShapeOptions implements Runnable {
        @Option(names = "--entropy-coef", defaultValue = "0", description = "also measure the step with this entropy "
                + "bonus (grpo.entropy-coef) and print its time and memory as ratios to the plain step's")
        double entropyCoef;

        @Option(names = "--logits-chunk-mib", defaultValue = "0", description = "with --entropy-coef: logits per "
                + "LM-head chunk (memory.logits-chunk), to measure the chunked head of large vocabularies; "
                + "0 = the default")
        long logitsChunkMib;

        @Override
        public void run() {
            DecoderBench.threads(threads);
            if (entropyCoef > 0) {
                System.out.println(DecoderBench.entropyBonus(BenchShape.named(shape), repeats, entropyCoef,
                        logitsChunkMib << 20));
            } else {
                System.out.println(DecoderBench.learner(BenchShape.named(shape), repeats));
            }
        }
    }

    @Command(name = "pipeline", description = "The same training, lockstep then streaming, with a slow verifier; "
            + "the last line is JSON with lockstep_s, streaming_s, samples and speedup.")
    static final class PipelineBenchCommand implements Callable<Integer> {
        @Option(names = "--set", description = "override a key of the bench's run (repeatable), e.g. "
                + "verifier.latency.mean=500ms, verifier.latency.sigma=1.5, train.steps=30")
        List<String> sets = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            var lines = PipelineBench.run(sets);
            System.out.println(lines.get(lines.size() - 1));
            return 0;
        }
    }

    @Command(name = "verifiers", description = "Streaming throughput with a verifier latency of 0, 0.5 s and 2 s "
            + "(JSON lines).")
    static final class VerifierBenchCommand implements Callable<Integer> {
        @Option(names = "--latencies", split = ",", defaultValue = "0ms,500ms,2s",
                description = "fixed verifier latencies (default: ${DEFAULT-VALUE})")
        List<String> latencies;

        @Option(names = "--set", description = "override a key of the bench's runs (repeatable)")
        List<String> sets = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            List<Duration> d = new ArrayList<>();
            for (String l : latencies) {
                d.add(ConfigFactory.parseString("d = " + l.trim()).getDuration("d"));
            }
            VerifierBench.run(d, sets);
            return 0;
        }
    }

    @Command(name = "reward-model", description = "Reward-model scores per second against the batch size, as ratios "
            + "to batch size 1 in the same run (JSON lines).")
    static final class RewardModelBenchCommand extends ShapeOptions implements Runnable {
        @Option(names = "--model", description = "a reward model directory (default: a random model of --shape)")
        java.nio.file.Path model;

        @Option(names = "--batch-sizes", split = ",", defaultValue = "1,2,4,8,16,32",
                description = "batch sizes, the first the baseline (default: ${DEFAULT-VALUE})")
        java.util.List<Integer> batchSizes;

        @Option(names = "--tokens", defaultValue = "256",
                description = "longest sequence; lengths are uniform in [tokens/2, tokens] (default: ${DEFAULT-VALUE})")
        int tokens;

        @Option(names = "--sequences", defaultValue = "64", description = "sequences per measurement (default: "
                + "${DEFAULT-VALUE})")
        int sequences;

        @Override
        public void run() {
            DecoderBench.threads(threads);
            dev.groupflow.bench.RewardModelBench.run(BenchShape.named(shape), model, batchSizes, sequences, tokens,
                    repeats).forEach(System.out::println);
        }
    }

    @Command(name = "deterministic", description = "Streaming throughput with deterministic = false, then true, "
            + "compute-bound and with a slow verifier; prints the ratios (JSON).")
    static final class DeterministicBenchCommand implements Callable<Integer> {
        @Option(names = "--compute-steps", defaultValue = "200",
                description = "steps of the compute-bound runs (default: ${DEFAULT-VALUE})")
        int computeSteps;

        @Option(names = "--slow-steps", defaultValue = "15",
                description = "steps of the slow-verifier runs (default: ${DEFAULT-VALUE})")
        int slowSteps;

        @Option(names = "--set", description = "override a key of every run (repeatable)")
        List<String> sets = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            DeterministicBench.run(computeSteps, slowSteps, sets);
            return 0;
        }
    }

    @Command(name = "realsize", description = "Real-size checkpoints (never in CI): the issue-14 check runs with peak "
            + "RSS and seconds per step, then sampler and learner tokens/s against eager PyTorch (JSON lines).")
    static final class RealsizeBenchCommand implements Callable<Integer> {
        @Option(names = "--model-05", required = true, description = "a 0.5B checkpoint (realsize_ckpt.py DIR --shape 0.5b)")
        Path model05;

        @Option(names = "--model-15", required = true, description = "a 1.5B checkpoint (realsize_ckpt.py DIR --shape 1.5b)")
        Path model15;

        @Option(names = "--prompts", required = true, description = "math prompts (math_prompts.py FILE 64)")
        Path prompts;

        @Option(names = "--parts", defaultValue = "runs,throughput", split = ",",
                description = "runs and/or throughput, or throughput-0.5b or throughput-1.5b alone (default: "
                        + "${DEFAULT-VALUE})")
        Set<String> parts;

        @Option(names = "--threads", defaultValue = "2", description = "PyTorch intra-op threads (default: ${DEFAULT-VALUE})")
        int threads;

        @Option(names = "--repeats", defaultValue = "2", description = "timed runs after one warm-up (default: ${DEFAULT-VALUE})")
        int repeats;

        @Option(names = "--python", defaultValue = "/usr/bin/python3", description = "Python with torch for the reference")
        String python;

        @Option(names = "--work-dir", defaultValue = "target/bench-realsize", description = "runs and logs (default: ${DEFAULT-VALUE})")
        Path workDir;

        @Option(names = "--recompute-only", description = "the 0.5B learner with recomputation only (as a run at "
                + "that size), not also without it")
        boolean recomputeOnly;

        @Override
        public Integer call() throws Exception {
            DecoderBench.threads(threads);
            RealsizeBench.run(new RealsizeBench.Options(model05, model15, prompts, threads, python, parts, repeats,
                    workDir, !recomputeOnly));
            return 0;
        }
    }

    @Command(name = "soak", description = "A long run watching resident and heap memory; prints their slopes (JSON).")
    static final class SoakBenchCommand implements Callable<Integer> {
        @Option(names = "--minutes", defaultValue = "10", description = "length (default: ${DEFAULT-VALUE})")
        double minutes;

        @Option(names = "--interval-seconds", defaultValue = "15", description = "between samples (default: ${DEFAULT-VALUE})")
        int interval;

        @Option(names = "--set", description = "override a key of the run (repeatable)")
        List<String> sets = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            System.out.println(SoakBench.run(Duration.ofSeconds((long) (minutes * 60)),
                    Duration.ofSeconds(interval), sets));
            return 0;
        }
    }

    @Command(name = "cluster", description = "A verifier-bound run on the learner, then on 1..N verifier worker JVMs "
            + "joined over Pekko Cluster (JSON lines).")
    static final class ClusterBenchCommand implements Callable<Integer> {
        @Option(names = "--workers", defaultValue = "2", description = "most worker JVMs (default: ${DEFAULT-VALUE})")
        int workers;

        @Option(names = "--latency", defaultValue = "250ms", description = "fixed verifier latency (default: ${DEFAULT-VALUE})")
        String latency;

        @Option(names = "--concurrency", defaultValue = "8",
                description = "verifier calls at once per verifying node (default: ${DEFAULT-VALUE})")
        int concurrency;

        @Option(names = "--steps", defaultValue = "15", description = "steps per run (default: ${DEFAULT-VALUE})")
        int steps;

        @Option(names = "--set", description = "override a key of the learner's runs (repeatable)")
        List<String> sets = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            ClusterBench.run(workers,
                    ConfigFactory.parseString("d = " + latency).getDuration("d"), concurrency,
                    steps, sets);
            return 0;
        }
    }
}
