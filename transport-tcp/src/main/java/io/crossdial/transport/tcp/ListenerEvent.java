package io.crossdial.transport.tcp;

import io.crossdial.core.multiaddr.Multiaddr;

/**
 * A change of a wildcard listen address's listeners, as interfaces come and go (specs/listeners.md).
 *
 * @param kind what happened
 * @param multiaddr the listener's address ({@code /ip4|ip6/A/tcp/P}) or, for {@link Kind#FAILED}, the
 *     address that could not be bound
 * @param requested the listen address it came from, e.g. {@code /ip4/0.0.0.0/tcp/0}
 * @param cause for {@link Kind#FAILED} the {@link TcpBindException}; null otherwise
 */
public record ListenerEvent(Kind kind, Multiaddr multiaddr, Multiaddr requested, Throwable cause) {
    /** What happened to a listener. */
    public enum Kind {
        /** a new interface address was bound */
        ADDED,
        /** an interface address went away and its listener was closed */
        REMOVED,
        /** an interface address could not be bound; the others are unaffected */
        FAILED
    }
}
