package dev.groupflow.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code cluster} section: whether and how this node takes part in a Pekko cluster.
 *
 * @param enabled form or join a cluster
 * @param hostname address to bind
 * @param port port to bind (0 = any)
 * @param seedNodes nodes to join ({@code pekko://groupflow@host:port}); empty = form a cluster alone
 * @param remoteVerifiers send verifier calls to verifier workers
 * @param remoteSamplers sample on sampler workers
 * @param workerConcurrency jobs one verifier worker runs at once
 * @param samplerJobs sampling jobs in flight from the learner at once
 * @param downUnreachableAfter how long an unreachable node stays before it is downed
 */
public record ClusterSettings(boolean enabled, String hostname, int port, List<String> seedNodes,
                              boolean remoteVerifiers, boolean remoteSamplers, int workerConcurrency,
                              int samplerJobs, Duration downUnreachableAfter) {

    /** The actor system's name on every node (addresses name it). */
    public static final String SYSTEM = "groupflow";

    public static ClusterSettings from(Config root) {
        Config c = root.getConfig("cluster");
        return new ClusterSettings(c.getBoolean("enabled"), c.getString("hostname"), c.getInt("port"),
                c.getStringList("seed-nodes"), c.getBoolean("remote-verifiers"), c.getBoolean("remote-samplers"),
                c.getInt("worker-concurrency"), c.getInt("sampler-jobs"), c.getDuration("down-unreachable-after"));
    }

    /** Problems of the section, as "key: problem" lines. */
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        if (port < 0 || port > 65535) {
            p.add("cluster.port: must be in [0, 65535], got " + port);
        }
        if ((remoteVerifiers || remoteSamplers) && !enabled) {
            p.add("cluster.remote-verifiers/remote-samplers: need cluster.enabled = true");
        }
        if (workerConcurrency < 1 || samplerJobs < 1) {
            p.add("cluster.worker-concurrency and cluster.sampler-jobs: must be >= 1");
        }
        for (String s : seedNodes) {
            if (!s.startsWith("pekko://" + SYSTEM + "@")) {
                p.add("cluster.seed-nodes: '" + s + "' is not of the form pekko://" + SYSTEM + "@host:port");
            }
        }
        return p;
    }

    /**
     * The Pekko configuration of a node with this role: cluster provider, Artery TCP on hostname:port, seed
     * nodes, the role, and the split-brain resolver (keep-oldest among learner-role nodes, never downing itself
     * for being alone: the learner holds the state and survives any partition; stateless workers on the other side
     * are downed and their work re-sent).
     */
    public Config pekkoConfig(String role, List<String> seeds) {
        Map<String, Object> m = new HashMap<>();
        m.put("pekko.actor.provider", "cluster");
        m.put("pekko.remote.artery.transport", "tcp");
        m.put("pekko.remote.artery.canonical.hostname", hostname);
        m.put("pekko.remote.artery.canonical.port", port);
        m.put("pekko.cluster.seed-nodes", seeds);
        m.put("pekko.cluster.roles", List.of(role));
        m.put("pekko.cluster.downing-provider-class", "org.apache.pekko.cluster.sbr.SplitBrainResolverProvider");
        m.put("pekko.cluster.split-brain-resolver.active-strategy", "keep-oldest");
        // the oldest *learner* decides, and it never downs itself for being alone: losing every worker at once
        // must leave the learner running (it waits for workers), not stop the training run
        m.put("pekko.cluster.split-brain-resolver.keep-oldest.role", "learner");
        m.put("pekko.cluster.split-brain-resolver.keep-oldest.down-if-alone", "off");
        m.put("pekko.cluster.split-brain-resolver.stable-after", downUnreachableAfter.toMillis() + "ms");
        // on a flapping network Pekko would by default down every node, the learner included; instead keep
        // applying keep-oldest, which never downs the learner
        m.put("pekko.cluster.split-brain-resolver.down-all-when-unstable", "off");
        m.put("pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on");
        m.put("pekko.coordinated-shutdown.exit-jvm", "off");
        m.put("pekko.log-dead-letters-during-shutdown", "off");
        return ConfigFactory.parseMap(m).withFallback(ConfigFactory.load());
    }

    /** This node's own address (when it forms the cluster). */
    public String selfAddress() {
        return "pekko://" + SYSTEM + "@" + hostname + ":" + port;
    }
}
