package dev.groupflow.cli;

import static dev.groupflow.cli.ClusterRunTest.log;
import static dev.groupflow.cli.ClusterRunTest.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.testkit.HeadlessChromium;
import dev.groupflow.testkit.SystemPackages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard of a real {@code bin/groupflow train --task agent} (tiny settings), opened in headless Chromium:
 * the latest episodes show turn by turn, grouped by task, and what the page shows for a step is what
 * {@code completions.jsonl} holds for it: each episode's outcome and return, and per turn the action, the
 * environment's observation and the state key. The screenshot of the episodes is kept in
 * {@code target/test-artifacts/agent-dashboard.png}.
 */
class AgentDashboardBrowserTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The page's notice line, shown when a wait fails. */
    private static final String NOTICE = "document.getElementById('notice').textContent";
    private static final Pattern URL = Pattern.compile(
            "dashboard at (http://127\\.0\\.0\\.1:\\d+/\\?token=[A-Za-z0-9_-]{43}) ");
    private static final Set<String> OUTCOMES = Set.of("finished", "max_turns", "max_tokens", "environment_failed",
            "environment_timed_out");

    /** What the page shows, read in one evaluation so that it is one step's view. */
    private static final String VIEW = "(() => ({"
            + "step: document.getElementById('completions-step').textContent,"
            + "table: document.getElementById('completions-table').hidden,"
            + "tasks: [...document.querySelectorAll('#episodes .task')].map(t => t.dataset.promptKey),"
            + "episodes: [...document.querySelectorAll('#episodes .episode')].map(e => ({"
            + "  sample: Number(e.dataset.sample), outcome: e.dataset.outcome,"
            + "  outcomeText: e.querySelector('.outcome').textContent,"
            + "  returnText: e.querySelector('.return').textContent,"
            + "  turns: [...e.querySelectorAll('tr.turn')].map(t => ({turn: Number(t.dataset.turn),"
            + "    action: t.querySelector('.action-text').textContent,"
            + "    observation: t.querySelector('.observation').textContent,"
            + "    state: t.querySelector('.state').title}))})),"
            + "errors: window.__errors}))()";

    @Test
    void episodesOfAnAgentRunShowTurnByTurn(@TempDir Path tmp) throws Exception {
        Path chromium = SystemPackages.requireChromium();
        Path run = tmp.resolve("run");
        Path log = tmp.resolve("train.log");
        Process train = GracefulStopTest.launch(run, log, List.of("--task", "agent", "--set", "train.steps=100000",
                "--set", "log.completions-every=1", "--set", "agent.max-turns=3", "--set", "agent.max-turn-tokens=4"));
        try (HeadlessChromium browser = HeadlessChromium.launch(chromium)) {
            waitFor(() -> URL.matcher(log(log)).find(), train, 120, log);
            Matcher m = URL.matcher(log(log));
            assertTrue(m.find());
            browser.beforeEachPage("window.__errors = []; window.addEventListener('error', "
                    + "e => window.__errors.push(String(e.message)));");
            browser.navigate(m.group(1));
            browser.await("document.querySelectorAll('#episodes .episode').length === 4"
                    + " && document.querySelectorAll('#episodes tr.turn').length >= 4", 120, NOTICE);

            JsonNode view = browser.evaluate(VIEW);
            long step = Long.parseLong(view.get("step").asText().replace("step ", ""));
            List<JsonNode> records = new ArrayList<>();
            for (String line : Files.readAllLines(run.resolve("completions.jsonl"))) {
                JsonNode r = JSON.readTree(line);
                if (r.get("step").asLong() == step) {
                    records.add(r);
                }
            }
            assertEquals(4, records.size(), "the G = 4 episodes of step " + step);
            assertTrue(view.get("table").asBoolean(), "the single-turn table is hidden: " + view);
            assertEquals(0, view.get("errors").size(), "script errors on the page: " + view);
            assertEquals(List.of(records.get(0).get("prompt_key").asText()),
                    JSON.convertValue(view.get("tasks"), List.class), "one task, its G episodes together: " + view);

            JsonNode episodes = view.get("episodes");
            assertEquals(4, episodes.size(), view.toString());
            int turnsShown = 0;
            for (int i = 0; i < 4; i++) {
                JsonNode shown = episodes.get(i);
                JsonNode record = records.get(i);
                String where = "episode " + i + " of step " + step + ": page " + shown + "\nfile " + record;
                assertEquals(record.get("sample").asInt(), shown.get("sample").asInt(), where);
                String outcome = record.get("outcome").asText();
                assertTrue(OUTCOMES.contains(outcome), where);
                assertEquals(outcome, shown.get("outcome").asText(), where);
                assertTrue(shown.get("outcomeText").asText().startsWith(outcome), where);
                String returnText = shown.get("returnText").asText();
                if (record.get("reward").isNull()) {
                    assertEquals("return none", returnText, where);
                } else {
                    double shownReturn = Double.parseDouble(returnText.replace("return ", ""));
                    assertEquals(record.get("reward").asDouble(), shownReturn,
                            0.005 * Math.max(1, Math.abs(shownReturn)), where);
                }
                JsonNode turns = record.get("turns");
                assertEquals(turns.size(), shown.get("turns").size(), where);
                for (int t = 0; t < turns.size(); t++) {
                    JsonNode turn = turns.get(t);
                    JsonNode row = shown.get("turns").get(t);
                    assertEquals(turn.get("turn").asInt(), row.get("turn").asInt(), where);
                    assertEquals(turn.get("action").asText(), row.get("action").asText(), where);
                    assertEquals(turn.get("observation").isNull() ? "(episode ended)"
                            : turn.get("observation").asText(), row.get("observation").asText(), where);
                    assertEquals(turn.get("state_key").asText(), row.get("state").asText(), where);
                    turnsShown++;
                }
            }
            assertTrue(turnsShown >= 4, "every episode has at least one turn: " + view);

            browser.evaluate("document.getElementById('episodes').scrollIntoView()");
            Path artefacts = Path.of("target", "test-artifacts");
            Files.createDirectories(artefacts);
            Files.write(artefacts.resolve("agent-dashboard.png"), browser.screenshot());

            train.destroy(); // SIGTERM: finish the step, checkpoint, exit 0
            assertTrue(train.waitFor(120, TimeUnit.SECONDS), log(log));
            assertEquals(0, train.exitValue(), log(log));
        } finally {
            train.destroyForcibly();
        }
    }
}
