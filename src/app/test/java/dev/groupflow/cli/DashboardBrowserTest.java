package dev.groupflow.cli;

import static dev.groupflow.cli.ClusterRunTest.log;
import static dev.groupflow.cli.ClusterRunTest.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.groupflow.testkit.HeadlessChromium;
import dev.groupflow.testkit.SystemPackages;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live dashboard of a real {@code bin/groupflow train}, opened in headless Chromium (Debian's {@code chromium},
 * which {@code bin/test} installs) at the URL it prints, with its token: its charts fill with data (reward
 * components too), the latest completions show, Pause stops the step counter and Resume starts it again,
 * Checkpoint now writes a checkpoint, a reload keeps working without the token in the address bar, and the API
 * refuses the page's requests that lack the token. The screenshot of the paused page is kept in
 * {@code target/test-artifacts/dashboard.png}.
 */
class DashboardBrowserTest {
    private static final Pattern URL = Pattern.compile(
            "dashboard at (http://127\\.0\\.0\\.1:\\d+/)\\?token=([A-Za-z0-9_-]{43}) ");

    @Test
    void dashboardOfARunningTraining(@TempDir Path tmp) throws Exception {
        Path chromium = SystemPackages.requireChromium();
        Path run = tmp.resolve("run");
        Path log = tmp.resolve("train.log");
        Process train = GracefulStopTest.launch(run, log, List.of("--set", "train.steps=100000",
                "--set", "log.completions-every=1", "--set", "log.every=50",
                // two reward components, each charted
                "--set", "verifier.name=weighted",
                "--set", "verifier.weighted.parts=[{name=task,weight=1},{name=length,weight=0.1}]"));
        try (HeadlessChromium browser = HeadlessChromium.launch(chromium)) {
            waitFor(() -> URL.matcher(log(log)).find(), train, 120, log);
            Matcher m = URL.matcher(log(log));
            assertTrue(m.find());
            String url = m.group(1);
            String token = m.group(2);
            browser.beforeEachPage("window.__errors = []; window.addEventListener('error', "
                    + "e => window.__errors.push(String(e.message)));");
            browser.navigate(url + "?token=" + token);

            // the charts have data after a few steps, and the latest completions are listed
            await(browser, "Number(document.body.dataset.points) >= 5", 120);
            assertEquals("", browser.evaluate("location.search").asText(), "the token left the address bar");
            assertEquals(401, browser.evaluate("fetch('api/status').then(r => r.status)").asInt(),
                    "the API refuses a request without the token, even from the page's own origin");
            // a reload finds the token it kept for this tab
            browser.navigate(url);
            await(browser, "Number(document.body.dataset.points) >= 5", 60);
            await(browser, "Number(document.getElementById('chart-reward').dataset.points) >= 5", 30);
            await(browser, "Number(document.getElementById('chart-length').dataset.points) >= 5", 30);
            await(browser, "Number(document.getElementById('chart-components').dataset.points) >= 10", 30);
            assertEquals("length,task", browser.evaluate("[...document.querySelectorAll('#chart-components + .legend span')]"
                    + ".map(s => s.textContent).join(',')").asText());
            await(browser, "document.querySelectorAll('#completions tr td.text').length >= 8", 30);
            assertEquals("training", browser.evaluate("document.body.dataset.state").asText());

            // Pause: the state turns paused and the step counter stops, on the page and in the API
            browser.evaluate("document.getElementById('pause').click()");
            await(browser, "document.body.dataset.state === 'paused'", 30);
            await(browser, "document.getElementById('resume').disabled === false", 10);
            Thread.sleep(1500); // the step that was in progress when the button was pressed finishes
            long pausedAt = pageStep(browser);
            Thread.sleep(3000);
            assertEquals(pausedAt, pageStep(browser), "no step while paused");
            JsonNode status = browser.evaluate("fetch('api/status', {headers: {'X-Groupflow-Token': '" + token
                    + "'}}).then(r => r.json())");
            assertEquals(pausedAt, status.at("/run/step").asLong(), status.toString());
            assertTrue(status.at("/run/paused").asBoolean());
            int linesWhilePaused = GracefulStopTest.metricsLines(run);
            Thread.sleep(1000);
            assertEquals(linesWhilePaused, GracefulStopTest.metricsLines(run), "metrics.jsonl does not grow");

            Path artefacts = Path.of("target", "test-artifacts");
            Files.createDirectories(artefacts);
            byte[] png = browser.screenshot();
            Files.write(artefacts.resolve("dashboard.png"), png);
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
            assertTrue(image.getWidth() >= 800 && image.getHeight() >= 600, image.getWidth() + "x" + image.getHeight());
            assertTrue(colours(image) > 20, "the screenshot shows a drawn page, not a blank one");

            // Resume: steps go on
            browser.evaluate("document.getElementById('resume').click()");
            await(browser, "document.body.dataset.state === 'training'", 30);
            await(browser, "Number(document.getElementById('step').textContent) >= " + (pausedAt + 3), 60);

            // Checkpoint now: a checkpoint appears (checkpoint.every = 0, so only this one)
            browser.evaluate("document.getElementById('checkpoint').click()");
            waitFor(() -> checkpoints(run) >= 1, train, 60, log);
            assertTrue(browser.evaluate("document.getElementById('notice').textContent").asText()
                    .contains("checkpoint requested"));

            JsonNode errors = browser.evaluate("window.__errors");
            assertEquals(0, errors.size(), "script errors on the page: " + errors);

            train.destroy(); // SIGTERM: finish the step, checkpoint, exit 0
            assertTrue(train.waitFor(120, TimeUnit.SECONDS), log(log));
            assertEquals(0, train.exitValue(), log(log));
        } finally {
            train.destroyForcibly();
        }
    }

    private static long pageStep(HeadlessChromium browser) throws Exception {
        return Long.parseLong(browser.evaluate("document.getElementById('step').textContent").asText());
    }

    private static void await(HeadlessChromium browser, String condition, int seconds) throws Exception {
        browser.await(condition, seconds, "document.body.dataset.state + ' points=' + document.body.dataset.points"
                + " + ' notice=' + document.getElementById('notice').textContent");
    }

    private static int checkpoints(Path run) {
        try (Stream<Path> s = Files.list(run.resolve("checkpoints"))) {
            return (int) s.filter(p -> p.getFileName().toString().startsWith("step-")).count();
        } catch (Exception e) {
            return 0;
        }
    }

    /** Distinct colours in the image (sampled every 4th pixel). */
    private static int colours(BufferedImage image) {
        Set<Integer> seen = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 4) {
            for (int x = 0; x < image.getWidth(); x += 4) {
                seen.add(image.getRGB(x, y));
            }
        }
        return seen.size();
    }
}
