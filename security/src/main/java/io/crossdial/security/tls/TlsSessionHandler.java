package io.crossdial.security.tls;

import io.crossdial.core.crypto.PeerId;
import io.crossdial.core.spi.SecureSession;
import io.crossdial.core.spi.SecurityContext;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.util.ReferenceCountUtil;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits right behind the connection's {@link SslHandler} and turns its outcome into the {@link
 * io.crossdial.core.spi.SecurityTransport} contract.
 *
 * <ul>
 *   <li>On {@code SslHandshakeCompletionEvent.SUCCESS} it takes the remote identity the {@link PeerTrustManager}
 *       verified and the ALPN result, fires one {@link SecureSession} and then passes on the plaintext it held.
 *       Inbound plaintext that arrives before that (TLS 1.3 lets a client send data right after its Finished) is
 *       held, so nothing reaches the next stage before the session event.</li>
 *   <li>On a failed handshake, an exception during the handshake, or EOF before completion it fires
 *       {@code exceptionCaught} once with a {@link TlsSecurityException} naming the reason (the trust manager's
 *       rejection when there is one), releases what it holds and closes the channel.</li>
 *   <li>After the handshake it stays as a pass-through that reports TLS record and alert errors (a
 *       {@code DecoderException} caused by an {@link SSLException}) as a {@link TlsSecurityException}.</li>
 * </ul>
 * The handshake completion event is consumed; the {@link SecureSession} replaces it.
 *
 * <h2>Reference counting</h2>
 * Held inbound messages are owned by this handler until passed on, and released on failure or removal.
 *
 * <p>Not thread-safe: Netty calls it on the channel's event loop only.
 */
final class TlsSessionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(TlsSessionHandler.class);

    /** Handler life cycle; {@code FAILED} is terminal. */
    enum State {
        /** TLS handshake running */
        HANDSHAKING,
        /** handshake done and the peer verified; passing plaintext through */
        SECURED,
        /** failed and closed */
        FAILED
    }

    private final SecurityContext context;
    private final PeerTrustManager trust;
    private final SslHandler ssl;
    private final PeerId localPeer;
    private final ArrayDeque<Object> held = new ArrayDeque<>();
    private State state = State.HANDSHAKING;

    TlsSessionHandler(SecurityContext context, PeerTrustManager trust, SslHandler ssl, PeerId localPeer) {
        this.context = context;
        this.trust = trust;
        this.ssl = ssl;
        this.localPeer = localPeer;
    }

    /** @return the current state (for tests) */
    State state() {
        return state;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent completion && state == State.HANDSHAKING) {
            if (completion.isSuccess()) {
                secured(ctx);
            } else {
                fail(ctx, translate(completion.cause()));
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    private void secured(ChannelHandlerContext ctx) {
        Libp2pCertificate.Verified remote = trust.verified();
        if (remote == null) {
            fail(ctx, new TlsSecurityException("tls: handshake completed without a verified peer certificate"));
            return;
        }
        String alpn = ssl.engine().getApplicationProtocol();
        String earlyMuxer = alpn != null && context.muxerProtocols().contains(alpn) ? alpn : null;
        state = State.SECURED;
        ctx.fireUserEventTriggered(new SecureSession(
                TlsSecurityTransport.PROTOCOL_ID, localPeer, remote.peer(), remote.identityKey(), earlyMuxer));
        if (!held.isEmpty()) {
            Object msg;
            while ((msg = held.poll()) != null) {
                ctx.fireChannelRead(msg);
            }
            ctx.fireChannelReadComplete();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        switch (state) {
            case SECURED -> ctx.fireChannelRead(msg);
            case HANDSHAKING -> held.add(msg);
            default -> ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (state == State.SECURED) {
            ctx.fireChannelReadComplete();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        switch (state) {
            case HANDSHAKING -> fail(ctx, translate(cause));
            case FAILED -> LOG.debug("tls: exception after failure on {}", ctx.channel(), cause);
            default -> {
                SSLException ssl = sslCause(cause);
                if (ssl != null) {
                    ctx.fireExceptionCaught(new TlsSecurityException("tls: connection failed: " + ssl.getMessage(),
                            cause));
                    ctx.close();
                } else {
                    ctx.fireExceptionCaught(cause);
                }
            }
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (state == State.HANDSHAKING) {
            fail(ctx, new TlsSecurityException("tls: connection closed during the handshake",
                    new ClosedChannelException()));
        }
        releaseHeld();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseHeld();
    }

    private void fail(ChannelHandlerContext ctx, TlsSecurityException cause) {
        if (state == State.FAILED) {
            return;
        }
        state = State.FAILED;
        releaseHeld();
        ctx.fireExceptionCaught(cause);
        ctx.close();
    }

    private TlsSecurityException translate(Throwable cause) {
        TlsSecurityException rejected = trust.failure();
        if (rejected != null) {
            return rejected;
        }
        if (cause instanceof TlsSecurityException e) {
            return e;
        }
        if (cause instanceof SslHandshakeTimeoutException) {
            return new TlsSecurityException("tls: handshake timed out after " + context.handshakeTimeoutMillis()
                    + " ms", cause);
        }
        if (cause instanceof ClosedChannelException) {
            return new TlsSecurityException("tls: connection closed during the handshake", cause);
        }
        SSLException ssl = sslCause(cause);
        Throwable reason = ssl != null ? ssl : cause;
        return new TlsSecurityException("tls: handshake failed: " + reason.getMessage(), cause);
    }

    private static SSLException sslCause(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SSLException e) {
                return e;
            }
        }
        return null;
    }

    private void releaseHeld() {
        Object msg;
        while ((msg = held.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }
}
