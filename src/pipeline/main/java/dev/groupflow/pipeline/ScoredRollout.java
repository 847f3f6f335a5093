package dev.groupflow.pipeline;

import dev.groupflow.CborSerializable;
import dev.groupflow.verify.Outcome;

/** A rollout with its verifier outcome (scored, failed or timed out). */
public record ScoredRollout(Rollout rollout, Outcome outcome) implements CborSerializable {
}
