package dev.groupflow.pipeline;

import dev.groupflow.CborSerializable;
import dev.groupflow.data.DataPosition;
import dev.groupflow.data.PromptSource;
import dev.groupflow.metrics.PipelineGauges;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Hands prompts to samplers under admission control, keeping the {@link Ledger} of what was admitted, what is in
 * flight and what was trained or dropped; it also remembers which sampler holds which prompt, so a crashed
 * sampler's prompts are handed out again.
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

    public sealed interface Command extends CborSerializable {
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

    /**
     * How the supply is set up.
     *
     * @param source the prompt stream
     * @param encoder renders and tokenizes a prompt (and decides whether an unusable one stops the run)
     * @param batchGroups B, groups per learner step
     * @param maxStaleness S: at most (S + 1) · B prompts are between admission and resolution
     * @param resumeFrom the data position to continue from ({@link DataPosition#start()} for a fresh run)
     * @param gauges where admissions and skips are counted
     */
    public record Settings(PromptSource source, PromptEncoder encoder, int batchGroups, int maxStaleness,
                           DataPosition resumeFrom, PipelineGauges gauges) {
    }

    /**
     * The supply. It reads prompts and tokenizes them: run it on a blocking dispatcher. A data error it cannot go
     * past (a prompt that cannot be used, with {@code data.long-prompts = fail}) fails it, and its parent learns
     * why from the failure signal.
     */
    public static Behavior<Command> create(Settings settings) {
        return Behaviors.setup(ctx -> new PromptSupply(ctx, settings));
    }

    private final Settings settings;
    private final Ledger ledger;
    private final Map<Long, String> grantedTo = new HashMap<>();
    private final Map<String, RequestPrompts> parked = new LinkedHashMap<>();
    private final Set<Long> buffered = new HashSet<>();
    private ActorRef<LearnerActor.Command> learner;
    private boolean drainSent;
    private boolean paused;

    private PromptSupply(ActorContext<Command> ctx, Settings settings) {
        super(ctx);
        this.settings = settings;
        this.ledger = new Ledger(settings.source(), settings.encoder(), settings.resumeFrom());
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
        return (long) (settings.maxStaleness() + 1) * settings.batchGroups() - ledger.activeCount();
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
        while (out.size() < r.max() && capacity() > 0 && !ledger.exhausted()) {
            Ledger.Admission next = ledger.admitNext();
            if (next instanceof Ledger.Admitted a) {
                out.add(a.prompt());
                grantedTo.put(a.prompt().key(), r.samplerId());
            } else if (next instanceof Ledger.Skipped skip) {
                settings.gauges().promptsSkipped.incrementAndGet();
                getContext().getLog().warn("prompt {} ({}) skipped: {}", skip.key(), skip.id(), skip.reason());
            }
        }
        if (out.isEmpty() && !ledger.exhausted()) {
            return false;
        }
        settings.gauges().promptsAdmitted.addAndGet(out.size());
        settings.gauges().promptsActive.set(ledger.activeCount());
        r.replyTo().tell(new Granted(out, out.isEmpty()));
        checkDrained();
        return true;
    }

    private Behavior<Command> onBuffered(Buffered b) {
        for (Long k : b.keys()) {
            if (ledger.activeKeys().contains(k)) {
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
        if (learner != null && !drainSent && ledger.exhausted() && buffered.containsAll(ledger.activeKeys())) {
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
            if (r.how() == Resolution.TRAINED ? ledger.trained(k) : ledger.dropped(k)) {
                grantedTo.remove(k);
            }
        }
        settings.gauges().promptsActive.set(ledger.activeCount());
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
        lost.forEach(grantedTo::remove);
        ledger.requeue(lost);
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
        g.replyTo().tell(ledger.position());
        return this;
    }
}
