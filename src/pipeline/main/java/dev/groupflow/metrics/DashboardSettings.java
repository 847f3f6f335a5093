package dev.groupflow.metrics;

/**
 * The live dashboard of {@code train} (docs/dashboard.md): served on 127.0.0.1 at {@code port} (0 = any), at most
 * {@code maxEventStreams} server-sent-event streams at once, at most {@code actionsPerMinute} actions (pause,
 * resume, checkpoint) in any minute.
 *
 * @param enabled {@code dashboard.enabled}
 * @param history steps the charts keep
 */
public record DashboardSettings(boolean enabled, int port, int history, int maxEventStreams, int actionsPerMinute) {
}
