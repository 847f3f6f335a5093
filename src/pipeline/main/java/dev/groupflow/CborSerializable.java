package dev.groupflow;

/**
 * Marker for messages that may cross JVMs: bound to Jackson CBOR in Pekko's serialization config. Such messages
 * are plain records (ids, token arrays, strings, numbers); they never carry tensors.
 */
public interface CborSerializable {
}
