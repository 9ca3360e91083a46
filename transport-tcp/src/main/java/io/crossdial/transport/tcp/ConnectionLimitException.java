package io.crossdial.transport.tcp;

import io.crossdial.core.CrossdialException;

/**
 * A connection was refused (dial) or closed at once (inbound) because a connection limit was reached. The
 * message names the limit and its value, e.g. {@code connection limit reached: 100 connections open
 * (max-connections 100)}.
 */
public final class ConnectionLimitException extends CrossdialException {
    private static final long serialVersionUID = 1L;

    /** Which limit. */
    public enum Limit {
        /** open TCP connections of the transport, both directions ({@code max-connections}) */
        MAX_CONNECTIONS("max-connections"),
        /** upgraded connections to one peer ID, both directions ({@code max-connections-per-peer}) */
        MAX_CONNECTIONS_PER_PEER("max-connections-per-peer"),
        /** accepted connections from one remote IP address still in their handshake ({@code max-handshakes-per-address}) */
        MAX_HANDSHAKES_PER_ADDRESS("max-handshakes-per-address"),
        /** new inbound connections from one remote address per second ({@code inbound-rate-per-address}) */
        INBOUND_RATE_PER_ADDRESS("inbound-rate-per-address");

        private final String optionName;

        Limit(String optionName) {
            this.optionName = optionName;
        }

        /** @return the option that sets it, e.g. {@code max-connections} */
        public String optionName() {
            return optionName;
        }
    }

    private final Limit limit;
    private final int value;

    /**
     * @param limit which limit
     * @param value its value
     * @param message one line naming the limit and its value
     */
    public ConnectionLimitException(Limit limit, int value, String message) {
        super(message);
        this.limit = limit;
        this.value = value;
    }

    private ConnectionLimitException(Limit limit, int value, String message, boolean writableStackTrace) {
        super(message, null, writableStackTrace);
        this.limit = limit;
        this.value = value;
    }

    /**
     * @return the exception for an inbound connection closed at accept, without a stack trace: under a flood
     *     the listener makes thousands a second, and where it was made says nothing the message does not
     */
    static ConnectionLimitException inbound(Limit limit, int value, String message) {
        return new ConnectionLimitException(limit, value, message, false);
    }

    /** @return which limit was reached */
    public Limit limit() {
        return limit;
    }

    /** @return the limit's value */
    public int value() {
        return value;
    }
}
