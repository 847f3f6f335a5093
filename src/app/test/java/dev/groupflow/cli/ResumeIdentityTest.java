package dev.groupflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.groupflow.config.Settings;
import dev.groupflow.run.RunConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a resumed run must share with its checkpoint ({@code TrainCommand.ResumeCheck}): a key added to groupflow
 * after the checkpoint was written counts at its default, so a checkpoint of an earlier version resumes while the new
 * keys keep their defaults, and is refused, naming the section, once one of them is changed.
 */
class ResumeIdentityTest {

    @Test
    void aKeyAddedSinceTheCheckpointCountsAtItsDefault() {
        RunConfig now = RunConfig.load(null, List.of("task.name=guess"));
        String written = Settings.render(now.raw());
        assertEquals(List.of(), TrainCommand.ResumeCheck.configDifferences(written, now));

        // a checkpoint of a version without agent.system-prompt and agent.guess.turn-cost
        String older = Settings.render(ConfigFactory.parseString(written).withoutPath("agent.system-prompt")
                .withoutPath("agent.guess.turn-cost"));
        assertTrue(!older.contains("system-prompt") && !older.contains("turn-cost"), older);
        assertEquals(List.of(), TrainCommand.ResumeCheck.configDifferences(older, now),
                "the new keys at their defaults: the same agent section");

        RunConfig dearer = RunConfig.load(null, List.of("task.name=guess", "agent.guess.turn-cost=0.1"));
        List<String> differences = TrainCommand.ResumeCheck.configDifferences(older, dearer);
        assertEquals(1, differences.size(), differences::toString);
        assertTrue(differences.get(0).startsWith("agent: checkpoint has "), differences::toString);
    }
}
