package dev.groupflow.cluster;

import dev.groupflow.CborSerializable;
import dev.groupflow.verify.VerifyRequest;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A completion to score, sent to a verifier worker (reliable delivery: re-sent to another worker if this one
 * dies before confirming it).
 *
 * @param id the learner's id of the call (a late duplicate answer is recognised by it and ignored)
 * @param request what to score
 * @param replyTo where the answer goes
 */
public record VerifyJob(long id, VerifyRequest request, ActorRef<VerifyAnswer> replyTo) implements CborSerializable {
}
