package dev.groupflow.data;

import java.util.List;

/**
 * Where a run is in its prompt stream, as a checkpoint records it.
 *
 * @param nextIndex the next stream index to admit
 * @param pending prompt keys admitted and not yet trained or dropped (handed out again first on resume)
 * @param trained prompts trained so far
 * @param dropped prompts dropped (stale or filtered) so far
 * @param skipped prompts skipped for length so far
 */
public record DataPosition(long nextIndex, List<Long> pending, long trained, long dropped, long skipped) {
    public DataPosition {
        pending = List.copyOf(pending);
    }

    public static DataPosition start() {
        return new DataPosition(0, List.of(), 0, 0, 0);
    }
}
