package dev.groupflow.verify.registry;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.groupflow.config.SectionReader;
import dev.groupflow.verify.Verifier;
import dev.groupflow.verify.WeightedVerifier;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Builds a {@link WeightedVerifier} from {@code verifier.weighted}: {@code parts = [{name = math, weight = 1.0},
 * {name = format, weight = 0.2}]}, each part built from its own {@code verifier.<name>} section, and
 * {@code on-component-failure = fail | zero}.
 */
final class WeightedParts {
    static final String NAME = "weighted";

    private WeightedParts() {
    }

    static Verifier create(SectionReader r, Verifiers.Context context) {
        WeightedVerifier.OnFailure onFailure = r.choice("on-component-failure", Set.of("fail", "zero")).equals("zero")
                ? WeightedVerifier.OnFailure.ZERO : WeightedVerifier.OnFailure.FAIL;
        List<? extends Config> configured = r.objects("parts");
        if (configured.isEmpty()) {
            r.problem("parts", "list at least one part: [{name = math, weight = 1.0}, ...]");
            return null;
        }
        List<WeightedVerifier.Part> parts = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < configured.size(); i++) {
            Config c = configured.get(i);
            String where = "part " + (i + 1);
            for (String key : c.root().keySet()) {
                if (!key.equals("name") && !key.equals("weight")) {
                    r.problem("parts", where + ": unknown key '" + key + "' (a part has only name and weight)");
                }
            }
            if (!c.hasPath("name") || !c.hasPath("weight")) {
                r.problem("parts", where + ": needs both name and weight");
                continue;
            }
            String name;
            double weight;
            try {
                name = c.getString("name");
                weight = c.getDouble("weight");
            } catch (ConfigException e) {
                r.problem("parts", where + ": " + e.getMessage());
                continue;
            }
            if (!Double.isFinite(weight)) {
                r.problem("parts", where + ": weight must be a finite number");
            }
            if (name.equals(NAME)) {
                r.problem("parts", where + ": a weighted verifier cannot contain another one");
                continue;
            }
            if (!seen.add(name)) {
                r.problem("parts", where + ": '" + name + "' is listed twice (each part has one settings section)");
                continue;
            }
            Verifier v = context.build(name, r.key("parts"));
            if (v != null) {
                parts.add(new WeightedVerifier.Part(name, weight, v));
            }
        }
        return parts.isEmpty() ? null : new WeightedVerifier(parts, onFailure);
    }
}
