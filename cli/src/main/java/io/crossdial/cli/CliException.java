package io.crossdial.cli;

/** A failure the CLI reports as one line on stderr, with the given exit code. */
final class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int exitCode;

    CliException(String message) {
        this(message, 1, null);
    }

    CliException(String message, int exitCode, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }
}
