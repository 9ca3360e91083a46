package io.crossdial.simopen;

import io.crossdial.core.spi.Role;

/**
 * The outcome of role resolution on a connection dialed from a listen port.
 *
 * @param role the role this side takes in the rest of the upgrade
 * @param detection how a simultaneous open was recognised; {@link Detection#NONE} for an ordinary dial
 * @param localNonce the last {@code select:} number this side sent (unsigned 64-bit), 0 when none
 * @param remoteNonce the last {@code select:} number the remote sent (unsigned 64-bit), 0 when none
 * @param selectRounds how many {@code select:} exchanges it took (more than 1 only after equal numbers)
 * @param elapsedNanos from the start of negotiation to the resolution, in ns
 */
public record SimopenResult(Role role, Detection detection, long localNonce, long remoteNonce, int selectRounds,
        long elapsedNanos) {
    /** @return true when both sides had dialed: a TCP simultaneous open (or a spec peer's equivalent) */
    public boolean simultaneousOpen() {
        return detection != Detection.NONE;
    }

    @Override
    public String toString() {
        if (!simultaneousOpen()) {
            return "SimopenResult[ordinary dial, " + role + "]";
        }
        return "SimopenResult[" + detection + ", select:" + Long.toUnsignedString(localNonce) + " vs select:"
                + Long.toUnsignedString(remoteNonce) + " (" + selectRounds + " round(s)) -> " + role + "]";
    }
}
