package dev.groupflow.pipeline;

import dev.groupflow.data.DataPosition;
import dev.groupflow.data.Prompt;
import dev.groupflow.data.PromptSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Prompt admission and the data position, as plain bookkeeping: which stream index comes next, which admission
 * ordinal, which prompts are admitted and not yet resolved (trained or dropped), which are handed out again first
 * (pending in a checkpoint, or held by a sampler that crashed), and how many were trained, dropped and skipped.
 * The {@link PromptSupply} actor and {@link LockstepTrainer} both keep their position in one of these, so the two
 * modes admit the same prompts with the same ordinals.
 *
 * <p>A prompt's key is its index in the (deterministic) data stream, so the position is one number plus the keys
 * admitted and not yet resolved. Not thread-safe: its owner's thread only.
 */
final class Ledger {
    private final PromptSource source;
    private final PromptEncoder encoder;
    private final Deque<DataPosition.Pending> requeued;
    private final Map<Long, PromptWork> active = new TreeMap<>();
    private long nextIndex;
    private long nextOrdinal;
    private long trained;
    private long dropped;
    private long skipped;

    /** A ledger continuing from {@code from} (its pending prompts are admitted again first). */
    Ledger(PromptSource source, PromptEncoder encoder, DataPosition from) {
        this.source = source;
        this.encoder = encoder;
        this.requeued = new ArrayDeque<>(from.pending());
        this.nextIndex = from.nextIndex();
        this.nextOrdinal = from.nextOrdinal();
        this.trained = from.trained();
        this.dropped = from.dropped();
        this.skipped = from.skipped();
    }

    /** Whether nothing is left to admit: nothing to hand out again, and the stream has ended. */
    boolean exhausted() {
        return requeued.isEmpty() && source.exhausted(nextIndex);
    }

    /** What admitting the next prompt gave. */
    sealed interface Admission {
    }

    /** The prompt, now active under its key. */
    record Admitted(PromptWork prompt) implements Admission {
    }

    /** Stream index {@code key} cannot be used (too long, or not encodable): skipped, and counted. */
    record Skipped(long key, String id, String reason) implements Admission {
    }

    /**
     * Admits the next prompt, one to hand out again first. A prompt that cannot be used is skipped, or stops the
     * run with {@code data.long-prompts = fail}.
     *
     * @throws IllegalArgumentException a prompt that cannot be used, with {@code data.long-prompts = fail}
     */
    Admission admitNext() {
        if (!requeued.isEmpty()) {
            DataPosition.Pending again = requeued.poll();
            Prompt p = source.at(again.key());
            try {
                return activate(work(again.key(), again.ordinal(), p, encoder.encode(p)));
            } catch (PromptEncoder.Unusable e) {
                throw new IllegalStateException("prompt " + again.key() + " was usable when first admitted: " + e);
            }
        }
        long key = nextIndex++;
        Prompt p = source.at(key);
        try {
            int[] tokens = encoder.encode(p);
            return activate(work(key, nextOrdinal++, p, tokens));
        } catch (PromptEncoder.Unusable e) {
            if (encoder.fatal()) {
                throw new IllegalArgumentException("prompt " + p.id() + " cannot be used: " + e.getMessage()
                        + " (data.long-prompts = fail)");
            }
            skipped++;
            return new Skipped(key, p.id(), e.getMessage());
        }
    }

    private static PromptWork work(long key, long ordinal, Prompt p, int[] tokens) {
        return new PromptWork(key, ordinal, p.id(), p.displayText(), tokens, p.answer(), p.metadata());
    }

    private Admitted activate(PromptWork w) {
        active.put(w.key(), w);
        return new Admitted(w);
    }

    /** Prompts admitted and not yet resolved. */
    int activeCount() {
        return active.size();
    }

    Set<Long> activeKeys() {
        return active.keySet();
    }

    /** An active prompt was trained; false when it was not active (already resolved, or handed out again). */
    boolean trained(long key) {
        if (active.remove(key) == null) {
            return false;
        }
        trained++;
        return true;
    }

    /** An active prompt was dropped (stale, or filtered); false when it was not active. */
    boolean dropped(long key) {
        if (active.remove(key) == null) {
            return false;
        }
        dropped++;
        return true;
    }

    /** Active prompts that must be handed out again (their sampler crashed): first, in key order, same ordinals. */
    void requeue(List<Long> keys) {
        List<Long> sorted = new ArrayList<>(keys);
        sorted.sort(null);
        for (int i = sorted.size() - 1; i >= 0; i--) {
            PromptWork w = active.remove(sorted.get(i));
            requeued.addFirst(new DataPosition.Pending(w.key(), w.ordinal()));
        }
    }

    /** The position a checkpoint records: what comes next, and every admitted, unresolved prompt by ordinal. */
    DataPosition position() {
        List<DataPosition.Pending> pending = new ArrayList<>();
        active.values().forEach(w -> pending.add(new DataPosition.Pending(w.key(), w.ordinal())));
        pending.addAll(requeued);
        pending.sort(Comparator.comparingLong(DataPosition.Pending::ordinal));
        return new DataPosition(nextIndex, nextOrdinal, pending, trained, dropped, skipped);
    }
}
