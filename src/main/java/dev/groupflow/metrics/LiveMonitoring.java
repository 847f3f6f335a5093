package dev.groupflow.metrics;

import dev.groupflow.config.RunConfig;
import dev.groupflow.pipeline.PipelineGauges;
import dev.groupflow.pipeline.RunControl;
import dev.groupflow.pipeline.StepReporter;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * The live side of a {@code train} run: a {@link RunMonitor} fed by the run's {@link StepReporter}, the
 * {@link Dashboard} when {@code dashboard.enabled} (a port that cannot be bound costs only the dashboard, with a
 * warning, never the run), and with {@code log.json} every metrics line as one JSON line on stdout.
 */
public final class LiveMonitoring implements AutoCloseable {
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
    public static LiveMonitoring open(RunConfig rc, PipelineGauges gauges, StepReporter reporter, Path runDir,
                                      DashboardToken token, PrintStream console, PrintStream jsonOut) {
        if (rc.log().json()) {
            reporter.addListener(new JsonLogLines(jsonOut));
        }
        RunMonitor monitor = new RunMonitor(gauges, rc.train().steps(),
                rc.pipeline().mode().name().toLowerCase(Locale.ROOT), runDir.toString(), rc.dashboard().history());
        monitor.attach(reporter);
        Dashboard dashboard = null;
        if (rc.dashboard().enabled()) {
            try {
                dashboard = Dashboard.start(monitor, rc.dashboard(), token == null ? DashboardToken.random() : token);
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
