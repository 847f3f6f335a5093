package dev.groupflow.metrics;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The live side of a {@code train} run: a {@link RunMonitor} fed by the run's {@link StepEvents}, the
 * {@link Dashboard} when {@code dashboard.enabled} (a port that cannot be bound costs only the dashboard, with a
 * warning, never the run), and with {@code log.json} every metrics line as one JSON line on stdout.
 */
public final class LiveMonitoring implements AutoCloseable {

    /**
     * What is watched and how.
     *
     * @param totalSteps the steps the run ends at
     * @param mode streaming or lockstep (shown on the dashboard)
     * @param jsonLines {@code log.json}: every metrics line also on stdout
     * @param dashboard the dashboard's settings
     */
    public record Settings(long totalSteps, String mode, boolean jsonLines, DashboardSettings dashboard) {
    }

    private final RunMonitor monitor;
    private final Dashboard dashboard;

    private LiveMonitoring(RunMonitor monitor, Dashboard dashboard) {
        this.monitor = monitor;
        this.dashboard = dashboard;
    }

    /**
     * @param token the dashboard's secret; null: a random one
     * @param console where the dashboard's URL with its token (or why there is none) is printed
     * @param jsonOut where {@code log.json} lines go
     */
    public static LiveMonitoring open(Settings settings, PipelineGauges gauges, StepEvents steps, Path runDir,
                                      DashboardToken token, PrintStream console, PrintStream jsonOut) {
        if (settings.jsonLines()) {
            steps.addListener(new JsonLogLines(jsonOut));
        }
        RunMonitor monitor = new RunMonitor(gauges, settings.totalSteps(), settings.mode(), runDir.toString(),
                settings.dashboard().history());
        monitor.attach(steps);
        Dashboard dashboard = null;
        if (settings.dashboard().enabled()) {
            try {
                dashboard = Dashboard.start(monitor, settings.dashboard(),
                        token == null ? DashboardToken.random() : token);
                console.printf("groupflow: dashboard at %s (from another machine: ssh -L %d:127.0.0.1:%d HOST, "
                        + "then open http://localhost:%d/?token=%s)%n", dashboard.pageUrl(), dashboard.port(),
                        dashboard.port(), dashboard.port(), dashboard.token().value());
            } catch (IllegalStateException e) {
                console.println("groupflow: no dashboard: " + e.getMessage()
                        + " (set dashboard.port, 0 = any free port, or pass --no-dashboard)");
            }
        }
        return new LiveMonitoring(monitor, dashboard);
    }

    public RunMonitor monitor() {
        return monitor;
    }

    public Optional<Dashboard> dashboard() {
        return Optional.ofNullable(dashboard);
    }

    /** The running training's controls, for the dashboard's buttons. */
    public void control(RunControl control) {
        monitor.control(control);
    }

    public void phase(RunMonitor.Phase phase, String why) {
        monitor.phase(phase, why);
    }

    @Override
    public void close() {
        if (dashboard != null) {
            dashboard.close();
        }
    }
}
