package dev.groupflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.checkpoint.Checkpointer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real runs of {@code bin/groupflow train} whose writes really fail. A file size limit ({@code ulimit -f}, which
 * binds root too and needs no privileges) makes every write that would grow a file past it fail with EFBIG ("File
 * too large") as a full disk does with ENOSPC: checkpoints (hundreds of KiB) fail while the small files still fit,
 * or, with a tighter limit, {@code metrics.jsonl} reaches it. The process's output goes to a pipe, which the limit
 * does not touch.
 */
class WriteFailureRunTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Native libraries are unpacked by this process, so the limited one only reads them. */
    @BeforeAll
    static void unpackNatives() {
        Engine.getEngine("PyTorch");
    }

    record Run(int code, String log) {
    }

    /**
     * {@code bin/groupflow train} with the settings of {@link GracefulStopTest#SMALL}, files limited to limitKiB;
     * {@code sets} are keys to set ({@code key=value}) or options ({@code --resume}).
     */
    static Run train(Path runDir, int limitKiB, String... sets) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", "-c", "ulimit -f " + limitKiB + " && exec \"$@\"", "bash",
                Launcher.path(), "train", "--run-dir", runDir.toString()));
        cmd.addAll(GracefulStopTest.SMALL);
        for (String s : sets) {
            cmd.addAll(s.startsWith("--") ? List.of(s) : List.of("--set", s));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("GROUPFLOW_SKIP_BUILD", "1");
        pb.environment().put("GROUPFLOW_JAVA_OPTS", "-Xss4m -Xmx1g -XX:-UsePerfData");
        Process p = pb.start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "cannot read the output: " + e;
            }
        });
        if (!p.waitFor(240, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the run did not end: " + out.get(10, TimeUnit.SECONDS));
        }
        return new Run(p.exitValue(), out.get(60, TimeUnit.SECONDS));
    }

    /** Every JSONL file of the run ends with a line break, and every line is a whole JSON object. */
    static void onlyWholeLines(Path runDir) throws IOException {
        try (Stream<Path> files = Files.list(runDir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).toList()) {
                byte[] bytes = Files.readAllBytes(f);
                assertTrue(bytes.length == 0 || bytes[bytes.length - 1] == '\n', f + " ends with a whole line");
                for (String line : Files.readAllLines(f)) {
                    assertTrue(JSON.readTree(line).isObject(), f + ": " + line);
                }
            }
        }
    }

    @Test
    void checkpointsThatKeepFailingStopTheRunWithStatus3SayingWhy(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        Run r = train(run, 64, "checkpoint.every=1", "checkpoint.max-consecutive-failures=2", "train.steps=50");
        assertEquals(TrainCommand.CHECKPOINTS_FAILED, r.code(), r.log());
        assertTrue(r.log().contains("checkpoint failed (1 of checkpoint.max-consecutive-failures = 2 in a row): "
                + "cannot write checkpoint " + run.resolve("checkpoints/step-1")), r.log());
        assertTrue(r.log().contains("groupflow: training stopped: 2 checkpoints in a row failed "
                + "(checkpoint.max-consecutive-failures = 2), the last at step 2: cannot write checkpoint "
                + run.resolve("checkpoints/step-2")), r.log());
        assertTrue(r.log().contains("File too large"), r.log());
        assertTrue(r.log().contains("stopped at step 2 with no checkpoint written"), r.log());
        assertEquals(2, Files.readAllLines(run.resolve("metrics.jsonl")).size(), "no step after the second failure");
        assertTrue(new Checkpointer(run.resolve("checkpoints"), 3).complete().isEmpty());
        try (Stream<Path> left = Files.list(run.resolve("checkpoints"))) {
            assertEquals(List.of(), left.toList(), "failed writes leave nothing behind");
        }
        onlyWholeLines(run);
    }

    @Test
    void aMetricsWriteThatFailsLeavesOnlyWholeLinesAndSaysWhy(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        Run r = train(run, 40, "train.steps=1000", "log.completions-every=0");
        assertEquals(1, r.code(), r.log());
        assertTrue(r.log().contains("groupflow: training failed: cannot write " + run.resolve("metrics.jsonl")
                + ": File too large"), r.log());
        assertTrue(Files.size(run.resolve("metrics.jsonl")) > 30_000, "it failed at the limit");
        onlyWholeLines(run);
    }

    @Test
    void aTornLastLineIsCutOnResumeAndReported(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        Run first = train(run, 1 << 20, "train.steps=2");
        assertEquals(0, first.code(), first.log());
        // what a process killed in the middle of its writes leaves: half a line, here half of a two-byte character
        String torn = "{\"step\": 3, \"loss\": -0.0";
        Files.writeString(run.resolve("metrics.jsonl"), torn, StandardOpenOption.APPEND);
        Files.write(run.resolve("completions.jsonl"), new byte[] {'{', '"', 'p', '"', ':', '"', (byte) 0xc3},
                StandardOpenOption.APPEND);
        Run resumed = train(run, 1 << 20, "train.steps=3", "--resume");
        assertEquals(0, resumed.code(), resumed.log());
        assertTrue(resumed.log().contains(run.resolve("metrics.jsonl") + ": cut a torn last line of " + torn.length()
                + " bytes"), resumed.log());
        assertTrue(resumed.log().contains(run.resolve("completions.jsonl") + ": cut a torn last line of 7 bytes"),
                resumed.log());
        List<String> metrics = Files.readAllLines(run.resolve("metrics.jsonl"));
        assertEquals(3, metrics.size());
        assertEquals(3, JSON.readTree(metrics.get(2)).get("step").asInt());
        onlyWholeLines(run);
    }
}
