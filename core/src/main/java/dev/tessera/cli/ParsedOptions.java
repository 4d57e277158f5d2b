package dev.tessera.cli;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A parsed command line: typed access to each option's value (the default when absent), each
 * check failing with a {@link UsageException} that names the option and the value.
 */
public final class ParsedOptions {
    private final Map<String, CliOption> options;
    private final Map<String, List<String>> values;
    private final List<String> positional;
    private final boolean help;

    ParsedOptions(Map<String, CliOption> options, Map<String, List<String>> values, List<String> positional,
            boolean help) {
        this.options = options;
        this.values = values;
        this.positional = List.copyOf(positional);
        this.help = help;
    }

    /** Whether {@code --help} or {@code -h} was given. */
    public boolean helpRequested() {
        return help;
    }

    /** Positional arguments, in order. */
    public List<String> positional() {
        return positional;
    }

    /** Whether the option was given on the command line (not defaulted). */
    public boolean given(String name) {
        option(name);
        return values.containsKey(name);
    }

    /** A flag's presence. */
    public boolean flag(String name) {
        CliOption o = option(name);
        if (!o.isFlag()) {
            throw new IllegalArgumentException(name + " is not a flag");
        }
        return values.containsKey(name);
    }

    /** The value, or the default (null when there is none). */
    public String string(String name) {
        CliOption o = option(name);
        List<String> v = values.get(name);
        return v == null ? o.defaultValue() : v.get(v.size() - 1);
    }

    /** Every value of a repeatable option, in order. */
    public List<String> all(String name) {
        option(name);
        return List.copyOf(values.getOrDefault(name, List.of()));
    }

    /** An integer in [min, max]. */
    public int integer(String name, int min, int max) {
        return (int) longValue(name, min, max);
    }

    /** A 64-bit integer in [min, max]. */
    public long longValue(String name, long min, long max) {
        String v = required(name);
        long x;
        try {
            x = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(name + " must be an integer but was '" + v + "'");
        }
        if (x < min || x > max) {
            throw new UsageException(name + " must be " + range(min, max) + " but was " + v);
        }
        return x;
    }

    /** A finite number in [min, max] (NaN, infinities, hexadecimal and Java suffixes such as 1f are refused). */
    public double number(String name, double min, double max) {
        String v = required(name);
        double x;
        if (!v.trim().matches("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?")) {
            throw new UsageException(name + " must be a decimal number but was '" + v + "'");
        }
        x = Double.parseDouble(v.trim());
        if (!Double.isFinite(x)) {
            throw new UsageException(name + " must be a finite number but was '" + v + "'");
        }
        if (x < min || x > max) {
            throw new UsageException(name + " must be in [" + min + ", " + max + "] but was " + v);
        }
        return x;
    }

    /** One of the given choices (case-insensitive; give an ordered map, the message lists its keys in order). */
    public <T> T choice(String name, Map<String, T> choices) {
        String v = required(name);
        T t = choices.get(v.toLowerCase(Locale.ROOT));
        if (t == null) {
            throw new UsageException(name + " must be one of " + String.join(", ", choices.keySet()) + " but was '" + v + "'");
        }
        return t;
    }

    private String required(String name) {
        String v = string(name);
        if (v == null) {
            throw new UsageException(name + " is required");
        }
        return v;
    }

    private static String range(long min, long max) {
        if (max == Long.MAX_VALUE || max == Integer.MAX_VALUE) {
            return ">= " + min;
        }
        return "in [" + min + ", " + max + "]";
    }

    private CliOption option(String name) {
        CliOption o = options.get(name);
        if (o == null) {
            throw new IllegalArgumentException("no option " + name + " is defined");
        }
        return o;
    }
}
