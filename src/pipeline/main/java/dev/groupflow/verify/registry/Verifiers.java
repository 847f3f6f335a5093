package dev.groupflow.verify.registry;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueType;
import dev.groupflow.config.ConfigProblems;
import dev.groupflow.config.SectionReader;
import dev.groupflow.verify.ExactMatchVerifier;
import dev.groupflow.verify.FormatVerifier;
import dev.groupflow.verify.HttpVerifier;
import dev.groupflow.verify.JsonVerifier;
import dev.groupflow.verify.LengthVerifier;
import dev.groupflow.verify.MathVerifier;
import dev.groupflow.verify.TaskVerifier;
import dev.groupflow.verify.Verifier;
import dev.groupflow.verify.code.CodeVerifier;
import dev.groupflow.verify.code.CodeVerifierSettings;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The verifiers a run can name in {@code verifier.name}, each built from its own section
 * {@code verifier.<name> { ... }} by a {@link Factory}. Adding one is one line:
 * {@code .register("code", CodeVerifier::create)} in {@link #builtIn()}. Building reads every setting and reports
 * all problems at once ({@link #check}), named by full key, so a run fails before any work starts.
 */
public final class Verifiers {
    private final Map<String, Factory> factories = new LinkedHashMap<>();

    /** Builds one verifier from its section. */
    @FunctionalInterface
    public interface Factory {
        /**
         * Reads the settings (problems go to the reader; on problems the result is discarded) and returns the
         * verifier. It must not start work or use the scheduler here: {@link #check} builds verifiers only to
         * validate them.
         */
        Verifier create(SectionReader settings, Context context);
    }

    /**
     * What factories share.
     *
     * @param scheduler for timers and retries (null while only checking)
     * @param cpu where CPU-bound scoring runs, off the caller's thread
     * @param registry this registry (to build parts of a combination)
     * @param verifierSection the whole {@code verifier} section
     * @param problems where problems are collected
     */
    public record Context(ScheduledExecutorService scheduler, Executor cpu, Verifiers registry, Config verifierSection,
                          List<String> problems) {
        /**
         * Builds the verifier called {@code name} from its section, reporting to the same problems list.
         *
         * @param namedBy the key that names it, for messages ({@code verifier.weighted.parts})
         */
        public Verifier build(String name, String namedBy) {
            return registry.build(name, this, namedBy);
        }
    }

    /** task, exact, math, format, json, length, http, code and weighted. */
    public static Verifiers builtIn() {
        return new Verifiers()
                .register("task", (s, c) -> new TaskVerifier())
                .register("exact", (s, c) -> new ExactMatchVerifier(ExactMatchVerifier.Settings.read(s)))
                .register("math", (s, c) -> new MathVerifier(MathVerifier.Settings.read(s), c.cpu()))
                .register("format", (s, c) -> new FormatVerifier(FormatVerifier.Settings.read(s), c.cpu()))
                .register("json", (s, c) -> new JsonVerifier(JsonVerifier.Settings.read(s)))
                .register("length", (s, c) -> new LengthVerifier(LengthVerifier.Settings.read(s)))
                .register("http", (s, c) -> new HttpVerifier(HttpVerifier.Settings.read(s), c.scheduler()))
                .register("code", Verifiers::code)
                .register(WeightedParts.NAME, WeightedParts::create);
    }

    /** Adds (or replaces) a verifier; returns this registry. */
    public Verifiers register(String name, Factory factory) {
        factories.put(name, factory);
        return this;
    }

    /** The registered names. */
    public Set<String> names() {
        return Collections.unmodifiableSet(factories.keySet());
    }

    /** Every problem of the verifier a {@code verifier} section describes (empty when it can be built). */
    public List<String> check(Config verifierSection) {
        List<String> problems = new ArrayList<>();
        Verifier v = build(verifierSection, null, problems);
        if (v != null) {
            v.close();
        }
        return problems;
    }

    /** The verifier {@code verifier.name} names, built from its section; all problems at once otherwise. */
    public Verifier create(Config verifierSection, ScheduledExecutorService scheduler) {
        List<String> problems = new ArrayList<>();
        Verifier v = build(verifierSection, scheduler, problems);
        if (!problems.isEmpty()) {
            if (v != null) {
                v.close();
            }
            throw new ConfigProblems(problems);
        }
        return v;
    }

    /**
     * The sandboxed code verifier. Its settings are checked with all other problems; the sandbox itself is built
     * (and self-tested) only when the verifier is created for a run, and refuses to start without isolation
     * unless {@code verifier.code.allow-unsandboxed} says otherwise.
     */
    private static Verifier code(SectionReader settings, Context c) {
        Config v = c.verifierSection();
        Config section = v.hasPath("code") ? v.getConfig("code") : ConfigFactory.empty();
        try {
            CodeVerifierSettings s = CodeVerifierSettings.fromConfig(section);
            if (c.scheduler() == null) {
                return null; // only checking the configuration
            }
            return new CodeVerifier(s);
        } catch (IllegalArgumentException e) {
            c.problems().add("verifier.code: " + e.getMessage());
            return null;
        } catch (CodeVerifier.SandboxUnavailableException e) {
            c.problems().add("verifier.code: " + e.getMessage());
            return null;
        }
    }

    private Verifier build(Config verifierSection, ScheduledExecutorService scheduler, List<String> problems) {
        String name = new SectionReader(verifierSection, "verifier", problems).string("name");
        Context context = new Context(scheduler, ForkJoinPool.commonPool(), this, verifierSection, problems);
        return name.isEmpty() ? null : build(name, context, "verifier.name");
    }

    private Verifier build(String name, Context context, String namedBy) {
        Factory f = factories.get(name);
        if (f == null) {
            context.problems().add(namedBy + ": '" + name + "' is not a known verifier " + new TreeSet<>(names()));
            return null;
        }
        Config v = context.verifierSection();
        Config section = v.hasPath(name) && v.getValue(name).valueType() == ConfigValueType.OBJECT
                ? v.getConfig(name) : ConfigFactory.empty();
        return f.create(new SectionReader(section, "verifier." + name, context.problems()), context);
    }

    /** The verifier names a section uses: {@code verifier.name}, or the parts of a weighted combination. */
    public static Set<String> usedNames(Config verifierSection) {
        Set<String> out = new LinkedHashSet<>();
        if (!verifierSection.hasPath("name")) {
            return out;
        }
        String name = verifierSection.getString("name");
        if (!name.equals(WeightedParts.NAME)) {
            out.add(name);
            return out;
        }
        try {
            for (Config part : verifierSection.getConfigList(WeightedParts.NAME + ".parts")) {
                if (part.hasPath("name")) {
                    out.add(part.getString("name"));
                }
            }
        } catch (ConfigException e) {
            // reported by check()
        }
        return out;
    }
}
