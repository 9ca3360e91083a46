package io.crossdial.host;

import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.core.spi.ConnectionAttributes;
import io.crossdial.core.spi.PeerIdMismatchException;
import io.crossdial.transport.tcp.TcpDialException;
import io.crossdial.transport.tcp.TcpTransport;
import io.crossdial.upgrader.UpgradeException;
import io.crossdial.upgrader.UpgradeStage;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dials with the host's redial policy ({@code specs/simopen.md}, case 6e): a dial from a listen port that
 * fails in the security stages (not a peer ID mismatch) is a simultaneous open the in-band resolution could
 * not handle; it is retried after a random backoff (uniform in [ceiling/2, ceiling], the ceiling doubling
 * from {@value Host#REDIAL_BASE_MILLIS} ms to {@value Host#REDIAL_MAX_BACKOFF_MILLIS} ms, at most
 * {@value Host#MAX_REDIALS} times) from an ephemeral port, to the dialed address and, each time one refuses,
 * to the peer's next known address ({@link AddressBook}). Thread-safe; each dial runs on one event loop.
 */
final class Dialer {
    private static final Logger log = LoggerFactory.getLogger(Dialer.class);

    /** Upgrades a dialed channel as the dialer; completes {@code result} with the connection to hand out. */
    @FunctionalInterface
    interface Upgrade {
        void upgrade(Channel ch, PeerId expected, Promise<Connection> result, int redials);
    }

    private final TcpTransport transport;
    private final AddressBook addresses;
    private final Upgrade upgrade;

    Dialer(TcpTransport transport, AddressBook addresses, Upgrade upgrade) {
        this.transport = transport;
        this.addresses = addresses;
        this.upgrade = upgrade;
    }

    /** As {@link Host#dial(Multiaddr)}. */
    Future<Connection> dial(Multiaddr addr) {
        return dial(addr, null);
    }

    /** As {@link Host#dial(Multiaddr, io.crossdial.core.spi.Role)}; a null hint is an ordinary dial. */
    Future<Connection> dial(Multiaddr addr, io.crossdial.core.spi.Role roleHint) {
        // One event loop per dial, for its futures and its connection (taking a loop per future pinned every
        // dialed connection to the same loop).
        EventLoop loop = transport.workerGroup().next();
        Promise<Connection> promise = loop.newPromise();
        PeerId expected;
        try {
            expected = addr.peerId();
            addr.toSocketAddress();
        } catch (RuntimeException e) {
            return promise.setFailure(e);
        }
        attempt(addr, expected, promise, 0, transport.config().portReuse(), 0, loop, null, roleHint);
        return promise;
    }

    /**
     * One dial attempt. After a failed simultaneous open on a dial from a listen port, redials (from an
     * ephemeral port) go to {@code addr} first, then, each time one is refused, to the next of the peer's
     * known addresses ({@code target} indexes them). When the redials fail too, the dial fails with the
     * first attempt's failure ({@code collision}, what the user needs to know), the redials' failures added
     * as suppressed.
     */
    private void attempt(Multiaddr addr, PeerId expected, Promise<Connection> promise, int redials,
            boolean portReuse, int target, EventLoop loop, Throwable collision, io.crossdial.core.spi.Role roleHint) {
        Promise<Connection> attemptResult = loop.newPromise();
        Channel[] dialed = new Channel[1];
        List<Multiaddr> candidates = target == 0 ? List.of(addr) : addresses.candidates(addr, expected);
        // an address may have expired since the redial was planned: then the dialed address again
        Multiaddr current = target < candidates.size() ? candidates.get(target) : addr;
        ChannelInitializer<Channel> init = new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                dialed[0] = ch;
                if (roleHint != null) {
                    ch.attr(ConnectionAttributes.ROLE_HINT).set(roleHint);
                }
                upgrade.upgrade(ch, expected, attemptResult, redials);
            }
        };
        // A hole punch's dial goes from the listen port or fails: a taken 4-tuple is the remote's connection,
        // accepted by our listener, and the caller waits for that one (Dcutr).
        (roleHint != null && portReuse && redials == 0 ? transport.dialFromListenPort(current, init, loop)
                : transport.dial(current, init, portReuse, loop)).addListener(f -> {
            if (!f.isSuccess()) {
                attemptResult.tryFailure(f.cause());
            }
        });
        attemptResult.addListener(f -> {
            if (f.isSuccess()) {
                promise.trySuccess((Connection) f.getNow());
                return;
            }
            Throwable cause = f.cause();
            Throwable first = collision == null ? cause : collision;
            if (first != cause) {
                first.addSuppressed(cause);
            }
            if (redials >= Host.MAX_REDIALS) {
                promise.tryFailure(first);
            } else if ((redials == 0 && dialedFromListenPort(dialed[0]) || redials > 0) && isCollision(cause)) {
                // A simultaneous open the remote could not resolve (or a redial the remote dropped while it was
                // still tearing the collision down): back off, doubling, and redial from an ephemeral port.
                long ceiling = Math.min(Host.REDIAL_MAX_BACKOFF_MILLIS, Host.REDIAL_BASE_MILLIS << redials);
                long backoff = ThreadLocalRandom.current().nextLong(ceiling / 2, ceiling + 1);
                log.debug("dial {} failed ({}); redial in {} ms from an ephemeral port", current, cause.getMessage(),
                        backoff);
                loop.schedule(() -> attempt(addr, expected, promise, redials + 1, false, target, loop, first, roleHint),
                        backoff, TimeUnit.MILLISECONDS);
            } else if (redials > 0 && cause instanceof TcpDialException
                    && target + 1 < addresses.candidates(addr, expected).size()) {
                // A redial target that refuses: the address was a dial port, not a listen port; try the next.
                log.debug("redial to {} failed ({}); trying the peer's next address", current, cause.getMessage());
                attempt(addr, expected, promise, redials + 1, false, target + 1, loop, first, roleHint);
            } else {
                promise.tryFailure(first);
            }
        });
    }

    private static boolean dialedFromListenPort(Channel ch) {
        return ch != null && Boolean.TRUE.equals(ch.attr(ConnectionAttributes.DIALED_FROM_LISTEN_PORT).get());
    }

    /** A failure in the security stages that is not a peer ID mismatch: how a stock peer's collision ends. */
    static boolean isCollision(Throwable cause) {
        if (!(cause instanceof UpgradeException u)
                || (u.stage() != UpgradeStage.SECURITY_NEGOTIATION && u.stage() != UpgradeStage.SECURITY_HANDSHAKE)) {
            return false;
        }
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof PeerIdMismatchException) {
                return false;
            }
        }
        return true;
    }
}
