package dev.groupflow.cli;

import dev.groupflow.model.ModelException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code groupflow} command line. */
@Command(name = "groupflow", mixinStandardHelpOptions = true, version = "groupflow 0.1.0",
        description = "GRPO training for language models on the JVM.",
        subcommands = {TrainCommand.class, SampleCommand.class, VerifyCommand.class, BenchCommand.class,
                PlotCommand.class, EvalCommand.class, WorkerCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        offline();
        int code = commandLine().execute(args);
        System.exit(code);
    }

    /** DJL must never reach the network: no telemetry, no native downloads (set before DJL loads). */
    public static void offline() {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            line.getErr().println("groupflow: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            if (System.getenv("GROUPFLOW_DEBUG") != null) {
                ex.printStackTrace(line.getErr());
            }
            return ex instanceof IllegalArgumentException || ex instanceof ModelException
                    ? 2 : 1;
        });
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
