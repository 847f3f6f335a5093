package dev.groupflow.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Layers the configuration: the defaults ({@code conf/groupflow.conf}, shipped on the classpath), then a
 * {@code --config} file, then {@code --set key=value} overrides, in that order of precedence. A key the
 * defaults do not define is an error, reported with where it came from (file and line, or the --set).
 */
public final class Settings {
    public static final String DEFAULTS = "groupflow.conf";

    private Settings() {
    }

    /** The shipped defaults. */
    public static Config defaults() {
        Config d = ConfigFactory.parseResources(Settings.class.getClassLoader(), DEFAULTS,
                ConfigParseOptions.defaults().setAllowMissing(false));
        return d.resolve();
    }

    /** A merged configuration and the problems found while layering it (unknown keys). */
    public record Layered(Config config, List<String> problems) {
    }

    /**
     * The merged, resolved configuration.
     *
     * @param file a --config file, or null
     * @param sets --set arguments, "key=value" (value in HOCON syntax: 8, 1e-4, "text", [a, b], null)
     * @throws ConfigProblems listing every unreadable source and unknown key
     */
    public static Config load(Path file, List<String> sets) {
        Layered l = layer(file, sets);
        if (!l.problems().isEmpty()) {
            throw new ConfigProblems(l.problems());
        }
        return l.config();
    }

    /**
     * Merges defaults, file and overrides; unknown keys are returned as problems (the merge still happens, so the
     * known keys can be checked too), unreadable sources throw.
     */
    public static Layered layer(Path file, List<String> sets) {
        Config defaults = defaults();
        List<String> problems = new ArrayList<>();
        Config user = ConfigFactory.empty();
        if (file != null) {
            if (!Files.isRegularFile(file)) {
                problems.add("--config " + file + ": no such file");
            } else {
                try {
                    user = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
                    unknownKeys(user, defaults, problems);
                } catch (ConfigException e) {
                    problems.add("--config " + file + ": " + e.getMessage());
                }
            }
        }
        Config overrides = ConfigFactory.empty();
        for (String set : sets) {
            int eq = set.indexOf('=');
            if (eq <= 0) {
                problems.add("--set " + set + ": expected key=value");
                continue;
            }
            String key = set.substring(0, eq).trim();
            String value = set.substring(eq + 1).trim();
            try {
                Config one = ConfigFactory.parseString(key + " = " + quoteIfBare(value),
                        ConfigParseOptions.defaults().setOriginDescription("--set " + set));
                unknownKeys(one, defaults, problems);
                overrides = one.withFallback(overrides);
            } catch (ConfigException e) {
                problems.add("--set " + set + ": " + e.getMessage());
            }
        }
        boolean unreadable = problems.stream().anyMatch(p -> !p.startsWith("unknown key"));
        if (unreadable) {
            throw new ConfigProblems(problems);
        }
        try {
            return new Layered(overrides.withFallback(user).withFallback(defaults).resolve(), problems);
        } catch (ConfigException e) {
            problems.add(e.getMessage());
            throw new ConfigProblems(problems);
        }
    }

    /**
     * A value that HOCON would not parse as a single value (a path with slashes and colons, say) is quoted, so
     * {@code --set data.prompts=/data/x.jsonl} works without shell gymnastics.
     */
    static String quoteIfBare(String value) {
        if (value.isEmpty()) {
            return "\"\"";
        }
        try {
            ConfigFactory.parseString("k = " + value).getValue("k");
            if (value.contains("/") || value.contains(":") || value.contains("\\")) {
                throw new ConfigException.Generic("path-like");
            }
            return value;
        } catch (ConfigException e) {
            return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        }
    }

    /** Sections whose keys are the user's own (a chat template's variables): never unknown. */
    private static final List<String> OPEN_SECTIONS = List.of("data.chat-template-variables.");

    private static void unknownKeys(Config source, Config defaults, List<String> problems) {
        for (Map.Entry<String, ConfigValue> e : source.entrySet()) {
            String key = e.getKey();
            if (OPEN_SECTIONS.stream().anyMatch(key::startsWith)) {
                continue;
            }
            if (!defaults.hasPathOrNull(key)) {
                problems.add("unknown key '" + key + "' (" + where(e.getValue().origin()) + ")" + suggestion(key, defaults));
            }
        }
    }

    /** "did you mean" for a misspelt leaf. */
    private static String suggestion(String key, Config defaults) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (Map.Entry<String, ConfigValue> d : defaults.entrySet()) {
            int dist = distance(key, d.getKey());
            if (dist < bestDistance) {
                bestDistance = dist;
                best = d.getKey();
            }
        }
        return best != null && bestDistance <= Math.max(2, key.length() / 4) ? "; did you mean '" + best + "'?" : "";
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** "file.conf: line 12" or "--set key=value". */
    public static String where(ConfigOrigin origin) {
        if (origin == null) {
            return "?";
        }
        if (origin.filename() != null) {
            return origin.filename() + ": line " + origin.lineNumber();
        }
        return origin.description();
    }

    /** The configuration as HOCON, for the run directory. */
    public static String render(Config config) {
        return config.root().render(ConfigRenderOptions.defaults().setOriginComments(false).setJson(false));
    }
}
