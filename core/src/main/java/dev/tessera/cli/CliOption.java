package dev.tessera.cli;

/**
 * One option of a command line: the single place its name, value, default and help text are
 * written down, so that {@link OptionParser#usage()} and the parsed defaults cannot drift apart.
 *
 * @param name the option, {@code --name}
 * @param valueName what the value is ({@code N}, {@code FILE}, {@code gpt|bert}), or null for a flag
 * @param defaultValue the value used when the option is absent, as it would be typed, or null for none
 * @param help what it does, one line
 * @param repeatable whether it may be given more than once (each value is kept)
 */
public record CliOption(String name, String valueName, String defaultValue, String help, boolean repeatable) {
    public CliOption {
        if (name == null || !name.matches("--[a-z0-9][a-z0-9-]*")) {
            throw new IllegalArgumentException("name must look like --lower-case-name but was " + name);
        }
        if (help == null || help.isBlank()) {
            throw new IllegalArgumentException("help of " + name + " must not be blank");
        }
        if (valueName == null && (defaultValue != null || repeatable)) {
            throw new IllegalArgumentException("flag " + name + " can have neither a default nor repeat");
        }
    }

    /** An option with a value and a default (null: none). */
    public static CliOption value(String name, String valueName, String defaultValue, String help) {
        return new CliOption(name, valueName, defaultValue, help, false);
    }

    /** An option that may be given several times. */
    public static CliOption repeated(String name, String valueName, String help) {
        return new CliOption(name, valueName, null, help, true);
    }

    /** A flag: present or absent, no value. */
    public static CliOption flag(String name, String help) {
        return new CliOption(name, null, null, help, false);
    }

    boolean isFlag() {
        return valueName == null;
    }
}
