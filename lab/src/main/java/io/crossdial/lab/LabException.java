package io.crossdial.lab;

import io.crossdial.core.CrossdialException;

/**
 * A failure of the network-namespace lab: an {@code ip} command that failed or timed out (the message carries
 * the command line and its stderr), a peer process that died, broke the JSON-lines protocol or did not answer
 * in time (the message carries the tail of its stderr).
 */
public class LabException extends CrossdialException {
    private static final long serialVersionUID = 1L;

    /** @param message what failed, naming the command or peer and carrying its stderr where there is one */
    public LabException(String message) {
        super(message);
    }

    /**
     * @param message what failed, naming the command or peer and carrying its stderr where there is one
     * @param cause the underlying failure
     */
    public LabException(String message, Throwable cause) {
        super(message, cause);
    }
}
