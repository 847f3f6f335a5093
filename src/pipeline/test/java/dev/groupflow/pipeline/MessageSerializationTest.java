package dev.groupflow.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.groupflow.CborSerializable;
import dev.groupflow.verify.Outcome;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Messages marked {@link CborSerializable} go through Pekko's Jackson CBOR serializer and come back whole, the
 * kind of each outcome (scored with its reward, failed, timed out) included.
 */
class MessageSerializationTest {
    private static final ActorTestKit KIT = ActorTestKit.create();

    @AfterAll
    static void shutdown() {
        KIT.shutdownTestKit();
    }

    @Test
    void aGroupWithEveryKindOfOutcomeSurvivesCbor() throws Exception {
        Group sent = new Group(7, List.of(
                new ScoredRollout(Rollouts.rollout(7, 0, "a"), new Outcome.Scored(0.5, Map.of("f", 1.0), "ok", 1, 2)),
                new ScoredRollout(Rollouts.rollout(7, 1, "b"), new Outcome.Failed("boom", 3, 4)),
                new ScoredRollout(Rollouts.rollout(7, 2, "c"), new Outcome.TimedOut("late", 1, 5))));
        Serialization serialization = SerializationExtension.get(KIT.system().classicSystem());
        Serializer cbor = serialization.findSerializerFor(sent);
        assertEquals("JacksonCborSerializer", cbor.getClass().getSimpleName(), "bound by the marker interface");
        byte[] bytes = serialization.serialize(sent).get();
        Group back = (Group) serialization.deserialize(bytes, cbor.identifier(), Serializers.manifestFor(cbor, sent))
                .get();
        assertEquals(7, back.promptKey());
        assertEquals(sent.members().get(0).outcome(), back.members().get(0).outcome());
        assertInstanceOf(Outcome.Failed.class, back.members().get(1).outcome());
        assertEquals(sent.members().get(1).outcome(), back.members().get(1).outcome());
        assertEquals(sent.members().get(2).outcome(), back.members().get(2).outcome());
        assertArrayEquals(sent.members().get(2).rollout().tokens(), back.members().get(2).rollout().tokens());
        assertEquals("c", back.members().get(2).rollout().text());
    }
}
