package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OptionParserTest {
    private final OptionParser parser = new OptionParser("usage: t [options]", List.of(
            CliOption.value("--n", "N", "3", "a count"), CliOption.value("--x", "X", "0.5", "a number"),
            CliOption.repeated("--f", "FILE", "files"), CliOption.flag("--yes", "a flag"),
            CliOption.value("--mode", "a|b", "a", "a choice")), null);

    private String error(String... args) {
        return assertThrows(UsageException.class, () -> {
            ParsedOptions p = parser.parse(args);
            p.integer("--n", 1, 10);
            p.number("--x", 0, 1);
            Map<String, Integer> modes = new java.util.LinkedHashMap<>();
            modes.put("a", 1);
            modes.put("b", 2);
            p.choice("--mode", modes);
        }).getMessage();
    }

    @Test
    void defaultsComeFromTheTableAndShowInTheUsage() {
        ParsedOptions p = parser.parse(new String[] {"--f", "a", "--yes", "--f", "b"});
        assertEquals(3, p.integer("--n", 1, 10));
        assertEquals(0.5, p.number("--x", 0, 1));
        assertEquals(List.of("a", "b"), p.all("--f"));
        assertTrue(p.flag("--yes") && !p.given("--n") && p.given("--f"));
        assertTrue(parser.usage().contains("--n N") && parser.usage().contains("a count (default 3)"), parser.usage());
    }

    @Test
    void badValuesNameOptionAndValue() {
        assertEquals("--n must be an integer but was 'abc'", error("--n", "abc"));
        assertEquals("--n must be in [1, 10] but was 11", error("--n", "11"));
        assertEquals("--n must be an integer but was '99999999999999999999'", error("--n", "99999999999999999999"));
        assertEquals("--x must be a decimal number but was 'Infinity'", error("--x", "Infinity"));
        assertEquals("--x must be a decimal number but was 'NaN'", error("--x", "NaN"));
        assertEquals("--x must be a decimal number but was '1f'", error("--x", "1f"));
        assertEquals("--x must be a finite number but was '1e999'", error("--x", "1e999"));
        assertEquals("--x must be in [0.0, 1.0] but was -0.5", error("--x", "-0.5"));
        assertEquals("--mode must be one of a, b but was 'c'", error("--mode", "c"));
        assertEquals("unknown option '--foo' (see --help)", error("--foo"));
        assertEquals("unexpected argument 'file.txt' (options are --name value; see --help)", error("file.txt"));
        assertEquals("--n needs a value (N) but the command line ends", error("--n"));
        assertEquals("--n is given twice ('2' and '3')", error("--n", "2", "--n", "3"));
        assertEquals("--yes is given twice ('--yes' and '--yes')", error("--yes", "--yes"));
    }
}
