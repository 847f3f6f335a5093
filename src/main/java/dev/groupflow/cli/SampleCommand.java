package dev.groupflow.cli;

import picocli.CommandLine.Command;

/** {@code groupflow sample}: completions from a checkpoint (filled in once checkpoints load). */
@Command(name = "sample", description = "Sample completions of a prompt from a model directory.")
final class SampleCommand implements Runnable {
    @Override
    public void run() {
        throw new UnsupportedOperationException("not wired yet");
    }
}
