package dev.groupflow.cli;

import dev.groupflow.bench.BenchShape;
import dev.groupflow.bench.DecoderBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code groupflow bench ...}: benchmarks that print JSON lines. */
@Command(name = "bench", description = "Benchmarks; each prints JSON lines with its figures.",
        subcommands = {BenchCommand.SamplerBench.class, BenchCommand.LearnerBench.class})
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
        @Override
        public void run() {
            DecoderBench.threads(threads);
            System.out.println(DecoderBench.learner(BenchShape.named(shape), repeats));
        }
    }
}
