package dev.groupflow.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import dev.groupflow.config.ConfigProblems;
import dev.groupflow.run.RunConfig;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The cluster section: its problems reported with the rest of the config, and the Pekko settings it makes. */
class ClusterSettingsTest {
    @Test
    void misusesAreReportedTogether() {
        ConfigProblems e = assertThrows(ConfigProblems.class, () -> RunConfig.load(null, List.of(
                "cluster.enabled=true", "pipeline.mode=lockstep", "cluster.port=70000",
                "deterministic=true", "cluster.remote-samplers=true")));
        String m = e.getMessage();
        for (String expected : List.of("cluster.enabled: needs pipeline.mode = streaming", "cluster.port: must be in",
                "cluster.remote-samplers: cannot be used with deterministic = true")) {
            assertTrue(m.contains(expected), expected + " in:\n" + m);
        }
        ConfigProblems remoteWithoutCluster = assertThrows(ConfigProblems.class,
                () -> RunConfig.load(null, List.of("cluster.remote-verifiers=true")));
        assertTrue(remoteWithoutCluster.getMessage().contains("need cluster.enabled = true"));
        ClusterSettings foreign = new ClusterSettings(true, "127.0.0.1", 0, List.of("akka://other@h:1"), false, false,
                1, 1, Duration.ofSeconds(2));
        assertEquals(List.of("cluster.seed-nodes: 'akka://other@h:1' is not of the form pekko://groupflow@host:port"),
                foreign.problems());
    }

    @Test
    void theLearnerIsNeverDownedByTheResolver() {
        RunConfig rc = RunConfig.load(null, List.of("cluster.enabled=true", "cluster.down-unreachable-after=3s"));
        Config pekko = rc.cluster().pekkoConfig("learner", List.of(rc.cluster().selfAddress()));
        assertEquals("keep-oldest", pekko.getString("pekko.cluster.split-brain-resolver.active-strategy"));
        assertEquals("learner", pekko.getString("pekko.cluster.split-brain-resolver.keep-oldest.role"));
        assertEquals("off", pekko.getString("pekko.cluster.split-brain-resolver.keep-oldest.down-if-alone"));
        assertEquals("off", pekko.getString("pekko.cluster.split-brain-resolver.down-all-when-unstable"));
        assertEquals(3000, pekko.getDuration("pekko.cluster.split-brain-resolver.stable-after").toMillis());
        assertEquals(List.of("learner"), pekko.getStringList("pekko.cluster.roles"));
    }
}
