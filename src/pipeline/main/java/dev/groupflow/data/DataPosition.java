package dev.groupflow.data;

import java.util.List;

/**
 * Where a run is in its prompt stream, as a checkpoint records it.
 *
 * @param nextIndex the next stream index to admit
 * @param nextOrdinal the admission ordinal the next admitted prompt gets (admitted prompts are numbered 0, 1, ...
 *     in admission order; skipped ones get none)
 * @param pending prompts admitted and not yet trained or dropped, with their ordinals (handed out again first on
 *     resume)
 * @param trained prompts trained so far
 * @param dropped prompts dropped (stale or filtered) so far
 * @param skipped prompts skipped (too long, or not encodable) so far
 */
public record DataPosition(long nextIndex, long nextOrdinal, List<Pending> pending, long trained, long dropped,
                           long skipped) {

    /** A prompt in flight: its stream key and its admission ordinal. */
    public record Pending(long key, long ordinal) {
    }

    public DataPosition {
        pending = List.copyOf(pending);
    }

    public static DataPosition start() {
        return new DataPosition(0, 0, List.of(), 0, 0, 0);
    }

    /** The keys of the pending prompts. */
    public List<Long> pendingKeys() {
        return pending.stream().map(Pending::key).toList();
    }
}
