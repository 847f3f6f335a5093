package dev.groupflow.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.agent.Action;
import dev.groupflow.agent.Episode;
import dev.groupflow.agent.EpisodeOutcome;
import dev.groupflow.agent.Segment;
import dev.groupflow.agent.Step;
import dev.groupflow.agent.ToolCall;
import dev.groupflow.data.Prompt;
import dev.groupflow.grpo.Learner;
import dev.groupflow.pipeline.EpisodeGroups;
import dev.groupflow.pipeline.PromptWork;
import dev.groupflow.pipeline.StepReporter;
import dev.groupflow.testkit.HeadlessChromium;
import dev.groupflow.testkit.SystemPackages;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's turn-by-turn view of an agent run's episodes, in headless Chromium, with text that would be
 * markup if it were inserted as HTML: the policy's actions, its tool calls and their errors, the environment's
 * observations, the state keys and the task all carry {@code <script>}, {@code <img onerror>} and tags. The
 * records are the real ones: episodes go through {@link EpisodeGroups} and {@link StepReporter} (which writes
 * {@code completions.jsonl}) to a {@link RunMonitor} and a real {@link Dashboard} on 127.0.0.1, as in a run.
 */
class DashboardEpisodeViewTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The page's notice line, shown when a wait fails. */
    private static final String NOTICE = "document.getElementById('notice').textContent";
    private static final String TASK = "find <iframe src=\"javascript:window.__pwned='task'\"></iframe> the secret";
    private static final String SCRIPT = "<script>window.__pwned = 'action'</script>guess 12";
    private static final String IMAGE = "<img src=x onerror=\"window.__pwned='observation'\"> 1 of 3 right";
    private static final String BOLD = "<b>guess</b>";
    private static final String ARGUMENT = "<img src=y onerror=\"window.__pwned='argument'\">";
    private static final String ERROR = "not a tool call: <svg onload=\"window.__pwned='error'\"></svg>";
    private static final String STATE = "<i>history</i>:12|34|56|78";

    /** An episode with one policy turn per step. */
    private static Episode episode(int sample, EpisodeOutcome outcome, List<Step> steps) {
        List<Segment> segments = new ArrayList<>(List.of(Segment.context(new int[] {1})));
        for (int i = 0; i < steps.size(); i++) {
            segments.add(Segment.policy(new int[] {2}, new float[] {0f}, 0));
            segments.add(Segment.environment(new int[] {3}));
        }
        return new Episode("p7/s" + sample + "/a0", 7, sample, Prompt.text("t7", TASK, null), segments, steps,
                outcome);
    }

    @Test
    void episodesAreShownTurnByTurnWithEveryTextEscaped(@TempDir Path tmp) throws Exception {
        Path chromium = SystemPackages.requireChromium();
        Action withCalls = new Action(SCRIPT, SCRIPT, List.of(new ToolCall(BOLD, Map.of("digits", ARGUMENT))),
                List.of(ERROR), false);
        Episode found = episode(0, new EpisodeOutcome.Finished(), List.of(
                new Step(0, STATE, withCalls, 0.25, false, IMAGE),
                new Step(1, "s1", Action.plain("guess 47", false), 1.0, true, null)));
        Episode failed = episode(1, new EpisodeOutcome.EnvironmentFailed("down", 0), List.of(
                new Step(0, STATE, Action.plain(BOLD, false), 0.0, false, null)));
        PromptWork task = new PromptWork(7, 7, "t7", TASK, new int[] {1}, null, Map.of());
        double[] advantages = {0.5, -0.75, 0.0}; // per turn row, episode by episode

        PipelineGauges gauges = new PipelineGauges();
        RunMonitor monitor = new RunMonitor(gauges, 10, "streaming", tmp.toString(), 10);
        try (RunFiles files = new RunFiles(tmp);
             Dashboard dashboard = Dashboard.start(monitor, DashboardClient.settings(10, 4, 60),
                     DashboardToken.random());
             HeadlessChromium browser = HeadlessChromium.launch(chromium)) {
            StepReporter reporter = new StepReporter(files, gauges, 10, 1, 1,
                    new PrintStream(OutputStream.nullOutputStream()), 0);
            monitor.attach(reporter);
            reporter.report(1, 1, List.of(EpisodeGroups.of(task, List.of(found, failed), 0)), 1,
                    new Learner.StepResult(true, Map.of("reward_mean", 1.25, "loss", 0.0), advantages));

            browser.beforeEachPage("window.__errors = []; window.addEventListener('error', "
                    + "e => window.__errors.push(String(e.message)));");
            browser.navigate(dashboard.pageUrl());
            browser.await("document.querySelectorAll('#episodes tr.turn').length === 3", 30, NOTICE);

            // the page shows what completions.jsonl holds
            List<String> lines = Files.readAllLines(tmp.resolve(RunFiles.COMPLETIONS));
            assertEquals(2, lines.size());
            JsonNode first = JSON.readTree(lines.get(0));
            assertEquals(SCRIPT, first.at("/turns/0/action").asText(), first.toString());

            JsonNode view = browser.evaluate("(() => { const q = (s) => document.querySelector(s); return {"
                    + "table: q('#completions-table').hidden, episodes: q('#episodes').hidden,"
                    + "task: q('#episodes .task pre.prompt').textContent,"
                    + "outcomes: [...document.querySelectorAll('#episodes .episode .outcome')].map(e => e.textContent),"
                    + "returns: [...document.querySelectorAll('#episodes .episode .return')].map(e => e.textContent),"
                    + "action: q('.episode[data-sample=\"0\"] tr.turn[data-turn=\"0\"] .action-text').textContent,"
                    + "call: q('.episode[data-sample=\"0\"] .tool-call').textContent,"
                    + "error: q('.episode[data-sample=\"0\"] .tool-error').textContent,"
                    + "observation: q('.episode[data-sample=\"0\"] tr.turn[data-turn=\"0\"] .observation').textContent,"
                    + "ended: q('.episode[data-sample=\"0\"] tr.turn[data-turn=\"1\"] .observation').textContent,"
                    + "state: q('.episode[data-sample=\"0\"] tr.turn[data-turn=\"0\"] .state').textContent,"
                    + "stateTitle: q('.episode[data-sample=\"0\"] tr.turn[data-turn=\"0\"] .state').title,"
                    + "advantages: [...document.querySelectorAll('#episodes tr.turn .advantage')].map(e => e.textContent),"
                    + "failedAction: q('.episode[data-sample=\"1\"] .action-text').textContent,"
                    + "markup: document.querySelectorAll('#episodes script, #episodes img, #episodes iframe,"
                    + " #episodes svg, #episodes b, #episodes i').length,"
                    + "pwned: String(window.__pwned), errors: window.__errors}; })()");
            assertTrue(view.get("table").asBoolean(), "the single-turn table gives way to the episodes: " + view);
            assertFalse(view.get("episodes").asBoolean(), view.toString());
            assertEquals(0, view.get("markup").asInt(), "no element made from the run's text: " + view);
            assertEquals("undefined", view.get("pwned").asText(), "no script of the run's text ran: " + view);
            assertEquals(0, view.get("errors").size(), view.toString());
            assertEquals(TASK, view.get("task").asText());
            assertEquals(SCRIPT, view.get("action").asText());
            assertEquals("tool call " + BOLD + " {\"digits\":" + JSON.writeValueAsString(ARGUMENT) + "}",
                    view.get("call").asText());
            assertEquals("tool call error: " + ERROR, view.get("error").asText());
            assertEquals(IMAGE, view.get("observation").asText());
            assertEquals("(episode ended)", view.get("ended").asText());
            assertEquals(STATE, view.get("stateTitle").asText(), "the whole state key in the tooltip");
            assertEquals("<i>his…|56|78", view.get("state").asText(), "the state key shortened");
            assertEquals(BOLD, view.get("failedAction").asText());
            assertEquals("[\"finished\",\"environment_failed (failed)\"]", view.get("outcomes").toString());
            assertEquals("[\"return 1.25\",\"return none\"]", view.get("returns").toString(),
                    "the return (Σ of step rewards 0.25 + 1.0), none for a failed environment");
            assertEquals("[\"0.500\",\"-0.750\",\"0\"]", view.get("advantages").toString());
        }
    }
}
