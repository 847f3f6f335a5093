package dev.groupflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.checkpoint.Checkpointer;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real launcher in a real process: SIGTERM finishes the step, checkpoints, exits 0; --resume continues. */
class GracefulStopTest {
    static final List<String> SMALL = List.of("--set", "grpo.group-size=4", "--set", "train.batch-groups=4",
            "--set", "pipeline.sampler-batch-prompts=4", "--set", "checkpoint.every=0", "--set", "log.every=1",
            "--set", "model.device=cpu", "--set", "task.eval-prompts=20", "--set", "dashboard.port=0");

    static Process launch(Path runDir, Path log, List<String> args) throws Exception {
        return launch(runDir, log, args, Map.of());
    }

    /** As above, with more environment variables. */
    static Process launch(Path runDir, Path log, List<String> args, Map<String, String> env) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Launcher.path(), "train", "--run-dir", runDir.toString()));
        cmd.addAll(SMALL);
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("GROUPFLOW_SKIP_BUILD", "1");
        pb.environment().put("GROUPFLOW_JAVA_OPTS", "-Xss4m -Xmx1g");
        pb.environment().putAll(env);
        return pb.start();
    }

    static int metricsLines(Path runDir) throws Exception {
        Path m = runDir.resolve("metrics.jsonl");
        return Files.exists(m) ? Files.readAllLines(m).size() : 0;
    }

    @Test
    void sigtermCheckpointsAndExitsZeroThenResumeContinues(@TempDir Path tmp) throws Exception {
        assertTrue(new File(Launcher.path()).canExecute() && Launcher.classpathFile().toFile().isFile(),
                "the launcher and Maven's classpath file exist");
        Path run = tmp.resolve("run");
        Process p = launch(run, tmp.resolve("first.log"), List.of("--set", "train.steps=100000"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (metricsLines(run) < 3 && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(p.isAlive(), Files.readString(tmp.resolve("first.log")));
        p.destroy(); // SIGTERM
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "exits after its checkpoint");
        String log = Files.readString(tmp.resolve("first.log"));
        assertEquals(0, p.exitValue(), log);
        assertTrue(log.contains("SIGTERM"), log);
        Checkpointer.Loaded cp = new Checkpointer(run.resolve("checkpoints"), 3).latest().orElseThrow();
        assertNull(Checkpointer.verify(cp.dir()));
        long stopped = cp.state().step();
        assertEquals(metricsLines(run), stopped, "the checkpoint holds every step that was reported");
        assertTrue(stopped >= 3);

        Process resumed = launch(run, tmp.resolve("second.log"), List.of("--resume", "--set",
                "train.steps=" + (stopped + 2)));
        boolean finished = resumed.waitFor(180, TimeUnit.SECONDS);
        String log2 = Files.readString(tmp.resolve("second.log"));
        if (!finished) {
            resumed.destroyForcibly();
        }
        assertTrue(finished, "resumed run did not finish: " + log2);
        assertEquals(0, resumed.exitValue(), log2);
        assertEquals(stopped + 2, metricsLines(run));
        assertEquals(stopped + 2, new ObjectMapper().readTree(Files.readAllLines(run.resolve("metrics.jsonl"))
                .get((int) stopped + 1)).get("step").asLong());
        assertTrue(Files.isRegularFile(run.resolve("eval.json")));
    }

    @Test
    void resumingWithADifferentGroupSizeIsRefusedListingTheDifference(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        Process p = launch(run, tmp.resolve("a.log"), List.of("--set", "train.steps=2"));
        assertTrue(p.waitFor(180, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), Files.readString(tmp.resolve("a.log")));
        Process again = launch(run, tmp.resolve("b.log"), List.of("--resume", "--set", "train.steps=4",
                "--set", "grpo.group-size=8"));
        assertTrue(again.waitFor(120, TimeUnit.SECONDS));
        String log = Files.readString(tmp.resolve("b.log"));
        assertEquals(2, again.exitValue(), log);
        assertTrue(log.contains("grpo.group-size: checkpoint has 4, now 8"), log);
    }
}
