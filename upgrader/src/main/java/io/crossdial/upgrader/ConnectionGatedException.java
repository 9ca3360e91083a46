package io.crossdial.upgrader;

import io.crossdial.core.CrossdialException;
import io.crossdial.core.crypto.PeerId;
import java.net.SocketAddress;

/**
 * The {@link ConnectionGater} denied a secured connection: the cause of the {@link UpgradeException} at
 * {@link UpgradeStage#GATING}. Names the peer and the address that were denied.
 */
public final class ConnectionGatedException extends CrossdialException {
    private static final long serialVersionUID = 1L;

    private final transient PeerId remotePeer;
    private final transient SocketAddress remoteAddress;

    /**
     * @param remotePeer the authenticated peer that was denied
     * @param remoteAddress the remote address that was denied
     */
    public ConnectionGatedException(PeerId remotePeer, SocketAddress remoteAddress) {
        super("connection gater denied peer " + remotePeer + " at " + remoteAddress);
        this.remotePeer = remotePeer;
        this.remoteAddress = remoteAddress;
    }

    /** @return the denied peer */
    public PeerId remotePeer() {
        return remotePeer;
    }

    /** @return the denied remote address */
    public SocketAddress remoteAddress() {
        return remoteAddress;
    }
}
