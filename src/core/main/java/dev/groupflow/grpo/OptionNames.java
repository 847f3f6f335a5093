package dev.groupflow.grpo;

import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * How an enum option of the {@code grpo} and {@code optim} sections is written in the configuration: its constant
 * in lower case ({@link AdvantageScale#GROUP} is {@code group}, {@link Aggregation#TOKEN_MEAN} is
 * {@code token_mean}). One rule for every such enum, so the names a config file accepts and the names parsed
 * never drift apart.
 */
public final class OptionNames {
    private OptionNames() {
    }

    /** The constant written {@code name} (any case, surrounding blanks ignored); unknown names are refused. */
    public static <E extends Enum<E>> E parse(Class<E> type, String name) {
        return Enum.valueOf(type, name.trim().toUpperCase(Locale.ROOT));
    }

    /** The configuration name of a constant. */
    public static String of(Enum<?> option) {
        return option.name().toLowerCase(Locale.ROOT);
    }

    /** The configuration names of every constant of {@code type}, in declaration order. */
    public static <E extends Enum<E>> Set<String> all(Class<E> type) {
        Set<String> names = new LinkedHashSet<>();
        for (E e : type.getEnumConstants()) {
            names.add(of(e));
        }
        return names;
    }
}
