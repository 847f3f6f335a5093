package dev.groupflow.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.groupflow.model.RewardModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Throughput of a reward model's scoring against its batch size: the same sequences (lengths drawn uniformly from
 * [tokens / 2, tokens], so batches are padded as in training) scored in left-padded batches of 1, 2, 4, ...;
 * one JSON line per batch size with scores per second (the median of the timed passes, which go round-robin over
 * the batch sizes) and its ratio to batch size 1 measured in the same run.
 * The model is a random one of a benchmark shape, or a real reward model directory.
 */
public final class RewardModelBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RewardModelBench() {
    }

    /**
     * @param shape the random model's shape (ignored with {@code dir})
     * @param dir a reward model directory, or null
     * @param batchSizes the batch sizes, the first of which is the baseline (1)
     * @param sequences sequences scored per measurement (a multiple of every batch size)
     * @param tokens the longest sequence
     * @param repeats timed passes after one warm-up; the median counts
     */
    public static List<ObjectNode> run(BenchShape shape, Path dir, List<Integer> batchSizes, int sequences,
                                       int tokens, int repeats) {
        List<ObjectNode> lines = new ArrayList<>();
        try (NDManager root = NDManager.newBaseManager();
             RewardModel rm = dir == null ? RewardModel.random(shape.modelConfig(), root, 0)
                     : RewardModel.load(dir, root)) {
            Random rng = new Random(0);
            List<int[]> seqs = new ArrayList<>();
            for (int i = 0; i < sequences; i++) {
                int[] s = new int[tokens / 2 + rng.nextInt(tokens - tokens / 2 + 1)];
                for (int j = 0; j < s.length; j++) {
                    s[j] = rng.nextInt(rm.config().vocabSize());
                }
                seqs.add(s);
            }
            for (int b : batchSizes) {
                scoreAll(rm, seqs, b); // warm-up
            }
            // round-robin over the batch sizes, so a machine that slows down for a while slows all of them alike
            double[][] seconds = new double[batchSizes.size()][repeats];
            for (int r = 0; r < repeats; r++) {
                for (int i = 0; i < batchSizes.size(); i++) {
                    long t0 = System.nanoTime();
                    scoreAll(rm, seqs, batchSizes.get(i));
                    seconds[i][r] = (System.nanoTime() - t0) / 1e9;
                }
            }
            double baseline = Double.NaN;
            for (int i = 0; i < batchSizes.size(); i++) {
                Arrays.sort(seconds[i]);
                double perSecond = sequences / seconds[i][repeats / 2];
                baseline = Double.isNaN(baseline) ? perSecond : baseline;
                ObjectNode line = JSON.createObjectNode();
                line.put("what", "reward_model_scores");
                line.put("model", dir == null ? "random " + shape.name() : dir.toString());
                line.put("batch", batchSizes.get(i));
                line.put("sequences", sequences);
                line.put("max_tokens", tokens);
                line.put("threads", JniUtils.getNumThreads());
                line.put("scores_per_s", Math.round(perSecond * 10) / 10.0);
                line.put("ratio_to_batch_" + batchSizes.get(0), Math.round(perSecond / baseline * 100) / 100.0);
                lines.add(line);
            }
        }
        return lines;
    }

    private static void scoreAll(RewardModel rm, List<int[]> seqs, int batch) {
        for (int from = 0; from < seqs.size(); from += batch) {
            rm.score(seqs.subList(from, Math.min(seqs.size(), from + batch)), RewardModel.Padding.LEFT);
        }
    }
}
