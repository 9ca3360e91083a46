package io.crossdial.host;

/** Which side opened the TCP connection. */
public enum Direction {
    /** the remote dialed us (accepted by a listener) */
    INBOUND,
    /** we dialed the remote */
    OUTBOUND;

    /** @return the lower-case name used in JSON output: {@code inbound} or {@code outbound} */
    public String jsonName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
