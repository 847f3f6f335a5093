package dev.groupflow.run;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import dev.groupflow.config.SectionReader;
import dev.groupflow.config.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/** Typed reads from a merged config that collect problems (with the value's origin) instead of throwing. */
final class Reader {
    private final Config config;
    final List<String> problems = new ArrayList<>();

    Reader(Config config) {
        this.config = config;
    }

    private <T> T read(String key, Supplier<T> get, T fallback) {
        try {
            return get.get();
        } catch (ConfigException.Missing e) {
            problems.add(key + ": missing");
        } catch (ConfigException e) {
            problems.add(key + ": " + clean(e.getMessage()) + origin(key));
        }
        return fallback;
    }

    private static String clean(String message) {
        int at = message.indexOf(": ");
        return at > 0 && message.startsWith("groupflow.conf") ? message.substring(at + 2) : message;
    }

    String origin(String key) {
        try {
            return " (" + Settings.where(config.getValue(key).origin()) + ")";
        } catch (ConfigException e) {
            return "";
        }
    }

    /** A section read with the same problems list (for the readers of {@code verify} and {@code agent}). */
    SectionReader section(String path) {
        return new SectionReader(read(path, () -> config.getConfig(path), ConfigFactory.empty()), path, problems);
    }

    void problem(String key, String what) {
        problems.add(key + ": " + what + origin(key));
    }

    int integer(String key) {
        return read(key, () -> config.getInt(key), 0);
    }

    long longValue(String key) {
        return read(key, () -> config.getLong(key), 0L);
    }

    double number(String key) {
        return read(key, () -> config.getDouble(key), 0.0);
    }

    boolean bool(String key) {
        return read(key, () -> config.getBoolean(key), false);
    }

    String string(String key) {
        return read(key, () -> config.getString(key), "");
    }

    String nullableString(String key) {
        return read(key, () -> config.getIsNull(key) ? null : config.getString(key), null);
    }

    /** A section of free keys as plain Java values (strings, numbers, booleans, lists, maps). */
    Map<String, Object> object(String key) {
        return read(key, () -> Map.copyOf(config.getObject(key).unwrapped()), Map.of());
    }

    List<String> strings(String key) {
        return read(key, () -> config.getStringList(key), List.of());
    }

    List<Integer> integers(String key) {
        return read(key, () -> config.getIntList(key), List.of());
    }

    Duration duration(String key) {
        return read(key, () -> config.getDuration(key), Duration.ZERO);
    }

    /** One of the allowed words (case-insensitive); reported otherwise. */
    String choice(String key, Set<String> allowed) {
        String v = string(key).toLowerCase(Locale.ROOT);
        if (!allowed.contains(v) && !v.isEmpty()) {
            problem(key, "'" + v + "' is not one of " + new TreeSet<>(allowed));
        }
        return v;
    }

    /** A path that must exist when given; null when the key is null. */
    Path existingPath(String key, boolean directory) {
        String v = nullableString(key);
        if (v == null) {
            return null;
        }
        Path p = Path.of(v);
        if (directory ? !Files.isDirectory(p) : !Files.isRegularFile(p)) {
            problem(key, (directory ? "no such directory: " : "no such file: ") + p);
        }
        return p;
    }

    void atLeast(String key, double value, double min) {
        if (!(value >= min)) {
            problem(key, "must be >= " + fmt(min) + ", got " + fmt(value));
        }
    }

    static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }
}
