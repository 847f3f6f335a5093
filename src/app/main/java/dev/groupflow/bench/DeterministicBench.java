package dev.groupflow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What deterministic mode costs: the same streaming run with {@code deterministic = false} (the baseline) and
 * {@code true}, in two workloads. {@code compute}: the built-in task with an instant verifier, where the cost is
 * single-threaded native ops and the learner waiting for exactly its batch's prompts. {@code slow-verifier}: the
 * pipeline bench's log-normal verifier (mean 1 s, sigma 1), where the cost is batches fixed by admission order:
 * a batch waits for its slowest member instead of taking the groups that finish first. Prints one JSON line per
 * run and one summary line per workload with {@code ratio} = the median deterministic samples/s over the median
 * baseline's, after a warm-up run, the two alternated three times.
 */
public final class DeterministicBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    private DeterministicBench() {
    }

    public static List<ObjectNode> run(int computeSteps, int slowSteps, List<String> sets) throws Exception {
        Path tmp = Files.createTempDirectory("groupflow-bench-deterministic");
        List<ObjectNode> out = new ArrayList<>();
        List<String> compute = new ArrayList<>(List.of("train.steps=" + computeSteps, "verifier.latency.distribution=none",
                "grpo.group-size=16", "train.batch-groups=16", "pipeline.sampler-batch-prompts=16",
                "pipeline.max-staleness=1", "verifier.concurrency=64"));
        compute.addAll(sets);
        out.addAll(pair("compute", compute, tmp.resolve("compute")));
        List<String> slow = new ArrayList<>(List.of("train.steps=" + slowSteps));
        slow.addAll(sets);
        out.addAll(pair("slow-verifier", slow, tmp.resolve("slow")));
        return out;
    }

    /**
     * One warm-up run (not counted: the JIT and the native libraries warm up), then baseline and deterministic runs
     * alternated {@code REPEATS} times so that drift on the machine hits both alike; the median of each is compared.
     */
    private static List<ObjectNode> pair(String workload, List<String> sets, Path dir) throws Exception {
        List<ObjectNode> out = new ArrayList<>();
        List<String> warm = new ArrayList<>(sets);
        warm.add("train.steps=5");
        PipelineBench.once(PipelineBench.config("streaming", warm), dir.resolve("warm-up"));
        List<List<Double>> rates = List.of(new ArrayList<>(), new ArrayList<>());
        for (int rep = 0; rep < REPEATS; rep++) {
            for (int d = 0; d < 2; d++) {
                List<String> all = new ArrayList<>(sets);
                all.add("deterministic=" + (d == 1));
                ObjectNode r = PipelineBench.once(PipelineBench.config("streaming", all),
                        dir.resolve("d" + d + "-" + rep));
                r.put("workload", workload);
                r.put("deterministic", d == 1);
                r.put("repeat", rep);
                System.out.println(r);
                out.add(r);
                rates.get(d).add(r.get("samples_per_s").asDouble());
            }
        }
        double base = median(rates.get(0));
        double det = median(rates.get(1));
        ObjectNode summary = JSON.createObjectNode();
        summary.put("workload", workload);
        summary.put("repeats", REPEATS);
        summary.put("baseline_samples_per_s", base);
        summary.put("deterministic_samples_per_s", det);
        summary.put("ratio", Math.round(det / base * 1000) / 1000.0);
        System.out.println(summary);
        out.add(summary);
        return out;
    }

    private static final int REPEATS = 3;

    private static double median(List<Double> xs) {
        List<Double> sorted = new ArrayList<>(xs);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
