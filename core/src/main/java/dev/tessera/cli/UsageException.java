package dev.tessera.cli;

/**
 * A command line the user has to correct: an unknown option, a missing or malformed value, an
 * input file that cannot be used. Command-line tools print its message as one line and exit with
 * status 2, before writing anything.
 */
public final class UsageException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
