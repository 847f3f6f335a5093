package dev.groupflow.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOrigin;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Typed reads from a verifier's section of the configuration that collect problems instead of throwing, each
 * named by its full key ({@code verifier.http.url}) and where its value came from, so that a run reports every
 * problem at once. A value that cannot be read yields a harmless fallback and a problem.
 */
public final class SectionReader {
    private final Config config;
    private final String prefix;
    private final List<String> problems;

    /**
     * @param config the section (for example the {@code verifier.http} object)
     * @param prefix its full path, used in messages ({@code verifier.http})
     * @param problems where problems are added
     */
    public SectionReader(Config config, String prefix, List<String> problems) {
        this.config = config;
        this.prefix = prefix;
        this.problems = problems;
    }

    /** The same problems list, for a sub-section. */
    public SectionReader section(String key) {
        Config sub = read(key, () -> config.getConfig(key), ConfigFactory.empty());
        return new SectionReader(sub, prefix + "." + key, problems);
    }

    public String key(String key) {
        return prefix + "." + key;
    }

    public Config config() {
        return config;
    }

    private <T> T read(String key, Supplier<T> get, T fallback) {
        try {
            return get.get();
        } catch (ConfigException.Missing e) {
            problems.add(key(key) + ": missing (see conf/groupflow.conf for its default)");
        } catch (ConfigException e) {
            problems.add(key(key) + ": " + e.getMessage());
        }
        return fallback;
    }

    /** Adds a problem about {@code key}, with where its value came from. */
    public void problem(String key, String what) {
        String where = "";
        try {
            ConfigOrigin o = config.getValue(key).origin();
            where = " (" + Settings.where(o) + ")";
        } catch (ConfigException ignored) {
            // a missing key has no origin
        }
        problems.add(key(key) + ": " + what + where);
    }

    public int integer(String key) {
        return read(key, () -> config.getInt(key), 0);
    }

    public long longValue(String key) {
        return read(key, () -> config.getLong(key), 0L);
    }

    public double number(String key) {
        return read(key, () -> config.getDouble(key), 0.0);
    }

    public boolean bool(String key) {
        return read(key, () -> config.getBoolean(key), false);
    }

    public String string(String key) {
        return read(key, () -> config.getString(key), "");
    }

    /** A string, or null when the key is set to null. */
    public String nullableString(String key) {
        return read(key, () -> config.getIsNull(key) ? null : config.getString(key), null);
    }

    public List<String> strings(String key) {
        return read(key, () -> config.getStringList(key), List.of());
    }

    public List<? extends Config> objects(String key) {
        return read(key, () -> config.getConfigList(key), List.of());
    }

    public Duration duration(String key) {
        return read(key, () -> config.getDuration(key), Duration.ZERO);
    }

    /** A positive duration. */
    public Duration positiveDuration(String key) {
        Duration d = duration(key);
        if (d.isZero() || d.isNegative()) {
            problem(key, "must be positive, got " + d);
            return Duration.ofSeconds(1);
        }
        return d;
    }

    /** One of the allowed words (case-insensitive). */
    public String choice(String key, Set<String> allowed) {
        String v = string(key).toLowerCase(Locale.ROOT);
        if (!allowed.contains(v)) {
            problem(key, "'" + v + "' is not one of " + new TreeSet<>(allowed));
        }
        return v;
    }

    /** An integer of at least {@code min}; reported otherwise. */
    public int atLeast(String key, int min) {
        int v = integer(key);
        if (v < min) {
            problem(key, "must be >= " + min + ", got " + v);
        }
        return Math.max(v, min);
    }

    /** A finite number of at least {@code min}; reported otherwise. */
    public double atLeast(String key, double min) {
        double v = number(key);
        if (!(v >= min) || !Double.isFinite(v)) {
            problem(key, "must be a finite number >= " + min + ", got " + v);
            return min;
        }
        return v;
    }
}
