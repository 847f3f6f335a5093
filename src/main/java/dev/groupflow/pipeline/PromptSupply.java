package dev.groupflow.pipeline;

import dev.groupflow.data.DataPosition;
import dev.groupflow.data.Prompt;
import dev.groupflow.data.PromptSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Hands prompts to samplers under admission control, and keeps the ledger of what was admitted, what is in flight
 * and what was trained or dropped.
 *
 * <p>Admission: with learner version v, batch size B (groups) and staleness bound S, a prompt is admitted only
 * while admitted − resolved &lt; (S + v + 1) · B − v · B, that is while fewer than (S + 1) · B prompts are
 * between admission and resolution (trained or dropped). A sample can then lag the learner by at most S versions
 * unless a straggler is overtaken by later groups; the learner drops such a group as stale (counted) and its slot
 * admits a replacement. With S = 0 exactly one batch is outstanding at a time: synchronous on-policy training.
 *
 * <p>A prompt's key is its index in the (deterministic) data stream, so the supply's position is one number plus
 * the keys admitted and not yet resolved; on resume those are handed out again first.
 */
public final class PromptSupply extends AbstractBehavior<PromptSupply.Command> {

    public interface Command extends CborSerializable {
    }

    /** A sampler asks for up to {@code max} prompts; the answer may wait until capacity opens. */
    public record RequestPrompts(String samplerId, int max, ActorRef<Granted> replyTo) implements Command {
    }

    /** Prompts for a sampler; empty with {@code exhausted} when the data has run out. */
    public record Granted(List<PromptWork> prompts, boolean exhausted) implements CborSerializable {
    }

    /** A sampler has put the rollouts of these prompts into the stream. */
    public record Dispatched(String samplerId, List<Long> keys) implements Command {
    }

    /** These prompts reached a terminal state. */
    public record Resolved(List<Long> keys, Resolution how) implements Command {
    }

    public enum Resolution { TRAINED, STALE, FILTERED }

    /** A sampler restarted: what it was granted and had not dispatched is handed out again. */
    public record SamplerRestarted(String samplerId) implements Command {
    }

    public record GetState(ActorRef<DataPosition> replyTo) implements Command {
    }

    /** Stop granting prompts until {@link Resume} (requests wait). */
    public enum Pause implements Command { INSTANCE }

    /** Grant again. */
    public enum Resume implements Command { INSTANCE }

    /** The learner buffered these prompts' groups (they are waiting for a full batch). */
    public record Buffered(List<Long> keys) implements Command {
    }

    /** Where to send {@link LearnerActor.Drain} once the data has run out and everything left is buffered. */
    public record RegisterLearner(ActorRef<LearnerActor.Command> learner) implements Command {
    }

    /** How the supply is set up. */
    public record Settings(PromptSource source, PromptEncoder encoder, int batchGroups, int maxStaleness,
                           DataPosition resumeFrom, PipelineGauges gauges, java.util.function.Consumer<String> onFatal) {
    }

    /** The supply; a data error it cannot go past (a rejected prompt) is reported to {@code onFatal}, then it stops. */
    public static Behavior<Command> create(Settings settings) {
        return Behaviors.setup(ctx -> new PromptSupply(ctx, settings));
    }

    private final Settings settings;
    private final Deque<DataPosition.Pending> requeued = new ArrayDeque<>();
    private final Map<Long, PromptWork> active = new TreeMap<>();
    private final Map<Long, String> grantedTo = new HashMap<>();
    private final Map<String, RequestPrompts> parked = new LinkedHashMap<>();
    private final java.util.Set<Long> buffered = new java.util.HashSet<>();
    private ActorRef<LearnerActor.Command> learner;
    private boolean drainSent;
    private boolean paused;
    private long nextIndex;
    private long nextOrdinal;
    private long trained;
    private long dropped;
    private long skipped;

    private PromptSupply(ActorContext<Command> ctx, Settings settings) {
        super(ctx);
        this.settings = settings;
        DataPosition s = settings.resumeFrom() == null ? DataPosition.start() : settings.resumeFrom();
        this.nextIndex = s.nextIndex();
        this.nextOrdinal = s.nextOrdinal();
        this.requeued.addAll(s.pending());
        this.trained = s.trained();
        this.dropped = s.dropped();
        this.skipped = s.skipped();
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(RequestPrompts.class, this::onRequest)
                .onMessage(Dispatched.class, this::onDispatched)
                .onMessage(Resolved.class, this::onResolved)
                .onMessage(SamplerRestarted.class, this::onSamplerRestarted)
                .onMessage(GetState.class, this::onGetState)
                .onMessage(Buffered.class, this::onBuffered)
                .onMessageEquals(Pause.INSTANCE, () -> {
                    paused = true;
                    return this;
                })
                .onMessageEquals(Resume.INSTANCE, () -> {
                    paused = false;
                    serveParked();
                    return this;
                })
                .onMessage(RegisterLearner.class, this::onRegisterLearner)
                .build();
    }

    private long capacity() {
        return (long) (settings.maxStaleness() + 1) * settings.batchGroups() - active.size();
    }

    private boolean exhausted() {
        return requeued.isEmpty() && settings.source().exhausted(nextIndex);
    }

    private Behavior<Command> onRequest(RequestPrompts r) {
        parked.remove(r.samplerId());
        if (!serve(r)) {
            parked.put(r.samplerId(), r);
        }
        return this;
    }

    /** Grants what admission allows; false when nothing can be granted yet. */
    private boolean serve(RequestPrompts r) {
        if (paused) {
            return false;
        }
        List<PromptWork> out = new ArrayList<>();
        while (out.size() < r.max() && capacity() > 0 && !exhausted()) {
            PromptWork w = admitNext();
            if (w != null) {
                out.add(w);
                active.put(w.key(), w);
                grantedTo.put(w.key(), r.samplerId());
            }
        }
        if (out.isEmpty() && !exhausted()) {
            return false;
        }
        settings.gauges().promptsAdmitted.addAndGet(out.size());
        settings.gauges().promptsActive.set(active.size());
        r.replyTo().tell(new Granted(out, out.isEmpty()));
        checkDrained();
        return true;
    }

    /** The next prompt to hand out (requeued ones first), or null when it cannot be used (skipped, counted). */
    private PromptWork admitNext() {
        if (!requeued.isEmpty()) {
            DataPosition.Pending again = requeued.poll();
            Prompt p = prompt(again.key());
            try {
                return new PromptWork(again.key(), again.ordinal(), p.id(), p.displayText(),
                        settings.encoder().encode(p), p.answer(), p.metadata());
            } catch (PromptEncoder.Unusable e) {
                throw new IllegalStateException("prompt " + again.key() + " was usable when first admitted: " + e);
            }
        }
        long key = nextIndex++;
        Prompt p = prompt(key);
        try {
            int[] tokens = settings.encoder().encode(p);
            return new PromptWork(key, nextOrdinal++, p.id(), p.displayText(), tokens, p.answer(), p.metadata());
        } catch (PromptEncoder.Unusable e) {
            if (settings.encoder().fatal()) {
                String reason = "prompt " + p.id() + " cannot be used: " + e.getMessage() + " (data.long-prompts = fail)";
                settings.onFatal().accept(reason);
                throw new IllegalArgumentException(reason); // stops the supply, and so the run
            }
            skipped++;
            settings.gauges().promptsSkipped.incrementAndGet();
            getContext().getLog().warn("prompt {} ({}) skipped: {}", key, p.id(), e.getMessage());
            return null;
        }
    }

    /** The source's prompt {@code key}; a source that fails (a prompts file changed on disk) ends the run, saying why. */
    private Prompt prompt(long key) {
        try {
            return settings.source().at(key);
        } catch (RuntimeException e) {
            settings.onFatal().accept(String.valueOf(e.getMessage()));
            throw e; // stops the supply, and so the run
        }
    }

    private Behavior<Command> onBuffered(Buffered b) {
        for (Long k : b.keys()) {
            if (active.containsKey(k)) {
                buffered.add(k);
            }
        }
        checkDrained();
        return this;
    }

    private Behavior<Command> onRegisterLearner(RegisterLearner r) {
        learner = r.learner();
        checkDrained();
        return this;
    }

    /** Once the data is exhausted and every outstanding prompt waits in the learner's buffer, drain it. */
    private void checkDrained() {
        if (learner != null && !drainSent && exhausted() && buffered.containsAll(active.keySet())) {
            drainSent = true;
            learner.tell(LearnerActor.Drain.INSTANCE);
        }
    }

    private Behavior<Command> onDispatched(Dispatched d) {
        d.keys().forEach(grantedTo::remove);
        return this;
    }

    private Behavior<Command> onResolved(Resolved r) {
        for (Long k : r.keys()) {
            buffered.remove(k);
            if (active.remove(k) != null) {
                grantedTo.remove(k);
                if (r.how() == Resolution.TRAINED) {
                    trained++;
                } else {
                    dropped++;
                }
            }
        }
        settings.gauges().promptsActive.set(active.size());
        serveParked();
        checkDrained();
        return this;
    }

    private Behavior<Command> onSamplerRestarted(SamplerRestarted r) {
        List<Long> lost = new ArrayList<>();
        grantedTo.forEach((k, s) -> {
            if (s.equals(r.samplerId())) {
                lost.add(k);
            }
        });
        lost.sort(null);
        for (int i = lost.size() - 1; i >= 0; i--) {
            Long k = lost.get(i);
            grantedTo.remove(k);
            PromptWork w = active.remove(k);
            requeued.addFirst(new DataPosition.Pending(k, w.ordinal()));
        }
        parked.remove(r.samplerId());
        if (!lost.isEmpty()) {
            getContext().getLog().warn("sampler {} restarted: {} prompt(s) handed out again", r.samplerId(), lost.size());
        }
        serveParked();
        return this;
    }

    private void serveParked() {
        for (RequestPrompts r : new ArrayList<>(parked.values())) {
            if (serve(r)) {
                parked.remove(r.samplerId());
            }
        }
    }

    private Behavior<Command> onGetState(GetState g) {
        List<DataPosition.Pending> pending = new ArrayList<>();
        active.values().forEach(w -> pending.add(new DataPosition.Pending(w.key(), w.ordinal())));
        pending.addAll(requeued);
        pending.sort(java.util.Comparator.comparingLong(DataPosition.Pending::ordinal));
        g.replyTo().tell(new DataPosition(nextIndex, nextOrdinal, pending, trained, dropped, skipped));
        return this;
    }
}
