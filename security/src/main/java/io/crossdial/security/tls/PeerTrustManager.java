package io.crossdial.security.tls;

import io.crossdial.core.spi.PeerIdMismatchException;
import io.crossdial.core.crypto.PeerId;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Date;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The trust decision for one connection: the remote certificate must pass {@link Libp2pCertificate#verify} and,
 * when an expected peer is given, authenticate that peer ID. Both directions use the same rules (the server
 * checks the client's certificate, the client the server's).
 *
 * <p>The outcome is kept for the {@link TlsSessionHandler}: {@link #verified()} after success, {@link #failure()}
 * (with the reason) after a rejection, which the JDK reports to the remote as a {@code bad_certificate} alert.
 * Extends {@link X509ExtendedTrustManager} so the JDK uses it as is, without its endpoint-identification wrapper.
 *
 * <p>Thread-safe: the JDK may call it from a delegated-task thread; results are published through volatiles.
 */
final class PeerTrustManager extends X509ExtendedTrustManager {
    private static final X509Certificate[] NO_ISSUERS = new X509Certificate[0];

    private final PeerId expectedPeer;
    private volatile Libp2pCertificate.Verified verified;
    private volatile TlsSecurityException failure;

    /** @param expectedPeer the peer ID the remote must have, or null for any */
    PeerTrustManager(PeerId expectedPeer) {
        this.expectedPeer = expectedPeer;
    }

    /** @return the verified remote identity, or null before (or without) a successful check */
    Libp2pCertificate.Verified verified() {
        return verified;
    }

    /** @return why the remote certificate was rejected, or null */
    TlsSecurityException failure() {
        return failure;
    }

    private void check(X509Certificate[] chain) throws CertificateException {
        try {
            Libp2pCertificate.Verified v = Libp2pCertificate.verify(chain, new Date());
            if (expectedPeer != null && !expectedPeer.equals(v.peer())) {
                PeerIdMismatchException mismatch = new PeerIdMismatchException("tls: ", expectedPeer, v.peer());
                throw new TlsSecurityException(mismatch.getMessage(), mismatch);
            }
            verified = v;
        } catch (TlsSecurityException e) {
            failure = e;
            throw new CertificateException(e.getMessage(), e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        check(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        check(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain);
    }

    /** @return no issuers: the server's CertificateRequest names no certificate authorities */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return NO_ISSUERS;
    }
}
