package dev.groupflow.verify.code;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class CodeVerifierSettingsTest {
    @Test
    void theKeysFileForTheIntegratorHoldsExactlyTheDefaults() {
        Config doc = ConfigFactory.parseFile(Path.of(System.getProperty("groupflow.home", "."), "docs",
                "code-verifier-keys.conf").toFile());
        Config section = doc.getConfig("verifier.code");
        assertEquals(CodeVerifierSettings.defaults(), CodeVerifierSettings.fromConfig(section));
        assertEquals(ConfigFactory.parseString(CodeVerifierSettings.DEFAULTS).root().keySet(),
                section.root().keySet());
    }

    @Test
    void readsOverrides() {
        CodeVerifierSettings s = CodeVerifierSettings.fromConfig(ConfigFactory.parseString(
                "wall-timeout = 3s\nmemory = 512M\nmax-output = 64K\nallow-unsandboxed = true\ncgroups = off\n"
                        + "extra-read-only-paths = [\"/opt/py\"]\nwork-dir = \"/var/tmp\""));
        assertEquals(Duration.ofSeconds(3), s.wallTimeout());
        assertEquals(512L << 20, s.memoryBytes());
        assertEquals(64L << 10, s.maxOutputBytes());
        assertTrue(s.allowUnsandboxed());
        assertEquals("off", s.cgroups());
        assertEquals(Path.of("/var/tmp"), s.workDir());
        assertEquals(List.of(Path.of("/opt/py")), s.extraReadOnlyPaths());
        assertFalse(CodeVerifierSettings.defaults().allowUnsandboxed());
    }

    @Test
    void reportsEveryProblemAtOnce() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                CodeVerifierSettings.fromConfig(ConfigFactory.parseString(
                        "max-concurrent = 0\nmemory = 1K\ncgroups = maybe\nbwrap = relative/bwrap\n"
                                + "wall-timeout = soon\ntypo-key = 1")));
        for (String part : new String[] {"max-concurrent", "memory", "cgroups", "relative/bwrap", "wall-timeout",
                                         "typo-key"}) {
            assertTrue(e.getMessage().contains(part), part + " missing from: " + e.getMessage());
        }
    }
}
