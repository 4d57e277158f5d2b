package dev.tessera.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses {@code --name value} command lines against a table of {@link CliOption}s and writes the
 * usage text from the same table. Anything starting with {@code -} that is not in the table is an
 * error, as is an option given twice (unless repeatable) or a value that is missing; {@code --}
 * ends the options, so that a positional argument may start with {@code -}. {@code --help} and
 * {@code -h} are always known.
 */
public final class OptionParser {
    private final String synopsis;
    private final Map<String, CliOption> options = new LinkedHashMap<>();
    private final String positionalName;

    /**
     * @param synopsis the first line of the usage text ({@code usage: Tool --text FILE [options]})
     * @param options every option the tool accepts
     * @param positionalName what positional arguments are ({@code FILE}), or null if the tool takes none
     */
    public OptionParser(String synopsis, List<CliOption> options, String positionalName) {
        this.synopsis = synopsis;
        for (CliOption o : options) {
            if (this.options.put(o.name(), o) != null || o.name().equals("--help")) {
                throw new IllegalArgumentException("option " + o.name() + " is defined twice");
            }
        }
        this.positionalName = positionalName;
    }

    /** Parses the arguments; throws {@link UsageException} with one line naming the option and value. */
    public ParsedOptions parse(String[] args) {
        if (args == null) {
            throw new UsageException("no arguments");
        }
        Map<String, List<String>> values = new LinkedHashMap<>();
        List<String> positional = new ArrayList<>();
        boolean help = false;
        boolean optionsEnded = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a == null) {
                throw new UsageException("argument " + (i + 1) + " is null");
            }
            if (optionsEnded || !a.startsWith("-") || a.equals("-")) {
                if (positionalName == null) {
                    throw new UsageException("unexpected argument '" + a + "' (options are --name value; see --help)");
                }
                positional.add(a);
                continue;
            }
            if (a.equals("--")) {
                optionsEnded = true;
                continue;
            }
            if (a.equals("--help") || a.equals("-h")) {
                help = true;
                continue;
            }
            CliOption o = options.get(a);
            if (o == null) {
                throw new UsageException("unknown option '" + a + "' (see --help)");
            }
            List<String> vs = values.computeIfAbsent(a, k -> new ArrayList<>());
            if (!vs.isEmpty() && !o.repeatable()) {
                throw new UsageException(a + " is given twice ('" + (o.isFlag() ? a : vs.get(0)) + "' and '"
                        + (o.isFlag() ? a : (i + 1 < args.length ? args[i + 1] : "")) + "')");
            }
            if (o.isFlag()) {
                vs.add("true");
                continue;
            }
            if (i + 1 >= args.length) {
                throw new UsageException(a + " needs a value (" + o.valueName() + ") but the command line ends");
            }
            String v = args[++i];
            if (options.containsKey(v) || v.equals("--help")) {
                throw new UsageException(a + " needs a value (" + o.valueName() + ") but got the option '" + v + "'");
            }
            vs.add(v);
        }
        return new ParsedOptions(options, values, positional, help);
    }

    /** The usage text: the synopsis and one line per option with its default. */
    public String usage() {
        StringBuilder sb = new StringBuilder(synopsis).append('\n');
        for (CliOption o : options.values()) {
            String left = o.name() + (o.isFlag() ? "" : " " + o.valueName());
            sb.append(String.format("  %-30s %s", left, o.help()));
            if (o.defaultValue() != null) {
                sb.append(" (default ").append(o.defaultValue().isEmpty() ? "\"\"" : o.defaultValue()).append(')');
            }
            if (o.repeatable()) {
                sb.append(" (repeatable)");
            }
            sb.append('\n');
        }
        sb.append(String.format("  %-30s %s%n", "--help", "print this text and exit"));
        return sb.toString();
    }
}
