package io.crossdial.cli;

import io.crossdial.lab.JsonLines;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.host.relay.RelayClient;
import io.crossdial.host.relay.RelayReservation;

/** What {@code listen --relay} prints about a reservation. */
final class RelayReservations {
    private RelayReservations() {}

    /**
     * Reserves on a relay (kept refreshed by the client), waiting at most 20 s.
     *
     * @return what to print: the circuit addresses, or the failure (the client keeps trying in the background)
     */
    static String reserve(RelayClient client, Multiaddr relay, boolean json) {
        try {
            RelayReservation r = Await.result(client.listenVia(relay), 20_000, "reservation on " + relay);
            if (json) {
                return JsonLines.line("event", "reservation", "relay", r.relay().toString(), "expire", r.expireSeconds(), "circuitAddrs", r.circuitAddrs().stream().map(Object::toString).toList(), "limitSeconds", r.limit().durationSeconds(), "limitBytes", r.limit().dataBytes(), "voucher", r.voucher() != null);
            }
            StringBuilder b = new StringBuilder("reserved on relay " + r.relay() + " until "
                    + java.time.Instant.ofEpochSecond(r.expireSeconds()) + " (limit " + r.limit().durationSeconds()
                    + " s, " + r.limit().dataBytes() + " B" + (r.voucher() != null ? ", voucher checked" : "")
                    + "); reachable as");
            r.circuitAddrs().forEach(a -> b.append("\n  ").append(a));
            return b.toString();
        } catch (RuntimeException e) {
            return json ? JsonLines.line("event", "reservation-failed", "relay", relay.toString(), "error", Main.oneLine(e))
                    : "reservation on " + relay + " failed (retrying): " + Main.oneLine(e);
        }
    }
}
