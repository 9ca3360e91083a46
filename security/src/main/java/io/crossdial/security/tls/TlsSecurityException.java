package io.crossdial.security.tls;

import io.crossdial.core.CrossdialException;

/**
 * Any failure of the TLS security transport ({@code /tls/1.0.0}): a remote certificate that is not exactly one,
 * not currently valid, badly self-signed, without the libp2p public key extension, with an unknown critical
 * extension, a malformed {@code SignedKey}, an unsupported identity key or a signature that does not verify; a
 * peer ID mismatch; a TLS alert or record error; a handshake timeout; EOF during the handshake. The message
 * starts with {@code "tls: "} and names the reason. The connection is always closed when the transport raises
 * it during the handshake; after the handshake a TLS record error closes it too.
 */
public final class TlsSecurityException extends CrossdialException {
    private static final long serialVersionUID = 1L;

    /** @param message what failed, starting with {@code "tls: "} */
    public TlsSecurityException(String message) {
        super(message);
    }

    /**
     * @param message what failed, starting with {@code "tls: "}
     * @param cause the underlying failure
     */
    public TlsSecurityException(String message, Throwable cause) {
        super(message, cause);
    }
}
