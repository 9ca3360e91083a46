package io.crossdial.core.spi;

import io.crossdial.core.CrossdialException;
import io.crossdial.core.crypto.PeerId;

/**
 * The remote authenticated as another peer than the one the dialed multiaddr names. Security transports
 * raise it (as the failure itself or as its cause) so the host can tell it from a handshake that broke: a
 * mismatch is never retried.
 */
public final class PeerIdMismatchException extends CrossdialException {
    private static final long serialVersionUID = 1L;

    private final transient PeerId expected;
    private final transient PeerId actual;

    /**
     * @param prefix the security transport's message prefix, e.g. {@code "noise: "}
     * @param expected the peer ID the dialer expected
     * @param actual the peer ID the remote proved
     */
    public PeerIdMismatchException(String prefix, PeerId expected, PeerId actual) {
        super(prefix + "peer ID mismatch: expected " + expected + ", remote is " + actual);
        this.expected = expected;
        this.actual = actual;
    }

    /** @return the peer ID the dialer expected */
    public PeerId expected() {
        return expected;
    }

    /** @return the peer ID the remote proved */
    public PeerId actual() {
        return actual;
    }
}
