package dev.groupflow.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.KvCache;
import dev.groupflow.model.Masks;
import dev.groupflow.model.tokenizer.TextTokenizer;
import java.util.Arrays;
import java.util.List;

/** Pieces of a decoding loop shared by {@link Sampler} and {@link TurnSampler}. */
final class Decoding {
    private Decoding() {
    }

    /**
     * One decoding step through the KV cache: each live row's picked token goes in, the next logits and positions
     * come out, both unregistered from the caller's scope (they outlive it).
     *
     * @param picked        [rows] the tokens just chosen
     * @param positions     [rows] their position ids
     * @param positionLimit one more than the largest position id in {@code positions}
     * @return {logits [rows, V], positions + 1 [rows]}
     */
    static NDArray[] step(CausalLm model, KvCache cache, NDManager manager, NDArray picked, NDArray positions,
                          int positionLimit) {
        cache.appendMask(manager.ones(new Shape(picked.getShape().get(0), 1), DataType.FLOAT32));
        NDArray bias = Masks.causalBias(cache.keyMask(cache.length() + 1), 1);
        NDArray hidden = model.hidden(picked.expandDims(1), positions, positionLimit, bias, cache); // [rows, 1, E]
        NDArray nextLogits = model.logits(hidden.squeeze(1));                                     // [rows, V]
        NDArray nextPositions = positions.add(1);
        NDScope.unregister(nextLogits, nextPositions);
        return new NDArray[] {nextLogits, nextPositions};
    }

    /**
     * The step's picks on the host, the one device→host copy of a decoding step: [ids as floats..., logprobs...]
     * (ids are exact in float32 below 2^24).
     *
     * @param picked {tokens [rows] int64, logprobs [rows] float32} of {@link LogitsSampler#sample}
     */
    static float[] toHost(NDList picked) {
        return NDArrays.stack(new NDList(picked.get(0).toType(DataType.FLOAT32, false), picked.get(1)))
                .toFloatArray();
    }

    /**
     * The stop string in the tail of a sequence's text (a window wide enough to hold any), or null.
     *
     * @param length how many of {@code tokens} are generated so far
     * @param maxStopChars the longest stop string's length
     */
    static String stopIn(TextTokenizer tokenizer, int[] tokens, int length, List<String> stops, int maxStopChars) {
        return stopIn(tokenizer, tokens, 0, length, stops, maxStopChars);
    }

    /** As {@link #stopIn(TextTokenizer, int[], int, List, int)}, looking only at tokens from {@code from} on. */
    static String stopIn(TextTokenizer tokenizer, int[] tokens, int from, int length, List<String> stops,
            int maxStopChars) {
        int window = Math.min(length - from, 2 * maxStopChars + 8);
        String tail = tokenizer.decode(Arrays.copyOfRange(tokens, length - window, length), false);
        for (String s : stops) {
            if (tail.contains(s)) {
                return s;
            }
        }
        return null;
    }

    /**
     * Rows to keep when enough have finished to make compaction worth a copy of the cache (a quarter); else null.
     *
     * @param itemOfRow which sequence each row holds
     * @param finish each sequence's finish reason, null while it is live
     */
    static int[] rowsToKeep(int[] itemOfRow, FinishReason[] finish) {
        int rows = itemOfRow.length;
        int[] keep = new int[rows];
        int n = 0;
        for (int j = 0; j < rows; j++) {
            if (finish[itemOfRow[j]] == null) {
                keep[n++] = j;
            }
        }
        int done = rows - n;
        return done > 0 && done * 4 >= rows ? Arrays.copyOf(keep, n) : null;
    }

    /** The decoded text cut before the stop string that ended it (when there was one). */
    static String cutAtStop(String text, String stop) {
        return cutAtStop(text, stop, 0);
    }

    /** As {@link #cutAtStop(String, String)}, for a stop found at or after character {@code after}. */
    static String cutAtStop(String text, String stop, int after) {
        if (stop == null) {
            return text;
        }
        int at = text.indexOf(stop, Math.min(after, text.length()));
        return at >= 0 ? text.substring(0, at) : text;
    }

    static long[] toLongs(int[] a) {
        long[] out = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }

    static int[] select(int[] a, int[] index) {
        int[] out = new int[index.length];
        for (int i = 0; i < index.length; i++) {
            out[i] = a[index[i]];
        }
        return out;
    }
}
