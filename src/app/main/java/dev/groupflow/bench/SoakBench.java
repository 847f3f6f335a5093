package dev.groupflow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.groupflow.metrics.ProgressLine;
import dev.groupflow.pipeline.StepReporter;
import dev.groupflow.run.RunAssembly;
import dev.groupflow.run.RunConfig;
import dev.groupflow.run.StreamingRun;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A long streaming run that watches memory: every {@code interval} it records the process's resident set (native
 * memory included: PyTorch's arrays live outside the Java heap) and the heap in use after a GC, then reports the
 * slope of each over the second half of the run (after warm-up), in MiB per minute, as JSON. Flat memory shows
 * as a slope within the noise of zero.
 */
public final class SoakBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SoakBench() {
    }

    public static ObjectNode run(Duration length, Duration interval, List<String> sets) throws Exception {
        List<String> all = new ArrayList<>(List.of("train.steps=100000000", "checkpoint.every=200", "log.every=100000",
                "log.completions-every=50", "model.device=cpu", "verifier.latency.distribution=lognormal",
                "verifier.latency.mean=20ms"));
        all.addAll(sets);
        RunConfig c = RunConfig.load(null, all);
        Path dir = Files.createTempDirectory("groupflow-soak");
        List<double[]> samples = new ArrayList<>(); // {minutes, rss MiB, heap MiB, steps}
        try (RunAssembly assembly = RunAssembly.create(c, dir, false)) {
            ProgressLine quiet = ProgressLine.plain(new PrintStream(OutputStream.nullOutputStream()));
            StepReporter reporter = assembly.reporter(quiet, 1_000_000, 50);
            long[] steps = new long[1];
            reporter.addListener(line -> steps[0] = ((Number) line.get("step")).longValue());
            long t0 = System.nanoTime();
            try (StreamingRun run = StreamingRun.start(assembly, reporter)) {
                while (System.nanoTime() - t0 < length.toNanos()) {
                    Thread.sleep(interval.toMillis());
                    System.gc();
                    double minutes = (System.nanoTime() - t0) / 60e9;
                    double heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1048576.0;
                    double[] s = {minutes, rssMib(), heap, steps[0]};
                    samples.add(s);
                    System.err.printf("soak %.1f min: rss %.1f MiB, heap %.1f MiB, %d steps%n", s[0], s[1], s[2],
                            (long) s[3]);
                }
                run.stopGracefully();
                run.await(Duration.ofMinutes(5));
            }
        }
        List<double[]> tail = samples.subList(samples.size() / 2, samples.size());
        ObjectNode out = JSON.createObjectNode();
        out.put("minutes", Math.round(length.toSeconds() / 6.0) / 10.0);
        out.put("steps", (long) samples.get(samples.size() - 1)[3]);
        out.put("samples", samples.size());
        out.put("rss_start_mib", round(samples.get(0)[1]));
        out.put("rss_end_mib", round(samples.get(samples.size() - 1)[1]));
        out.put("rss_max_mib", round(samples.stream().mapToDouble(s -> s[1]).max().orElse(0)));
        out.put("rss_slope_mib_per_min", round(slope(tail, 1)));
        out.put("heap_start_mib", round(samples.get(0)[2]));
        out.put("heap_end_mib", round(samples.get(samples.size() - 1)[2]));
        out.put("heap_slope_mib_per_min", round(slope(tail, 2)));
        out.put("slope_window_minutes", round(tail.get(tail.size() - 1)[0] - tail.get(0)[0]));
        return out;
    }

    /** Least-squares slope of column {@code col} against minutes. */
    static double slope(List<double[]> points, int col) {
        double n = points.size();
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        for (double[] p : points) {
            sx += p[0];
            sy += p[col];
            sxx += p[0] * p[0];
            sxy += p[0] * p[col];
        }
        double d = n * sxx - sx * sx;
        return d == 0 ? 0 : (n * sxy - sx * sy) / d;
    }

    /** Resident set size of this process (Linux), MiB. */
    static double rssMib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            }
        }
        return Double.NaN;
    }

    private static double round(double x) {
        return Math.round(x * 100) / 100.0;
    }
}
