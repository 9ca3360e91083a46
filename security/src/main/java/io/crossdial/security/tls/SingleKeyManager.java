package io.crossdial.security.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Offers the connection's one generated certificate for both client and server authentication, whatever
 * certificate authorities the remote names (libp2p certificates are self-signed). It answers only for the
 * certificate's key type ({@code EC}, or {@code EC/secp256r1} as BouncyCastle JSSE asks in TLS 1.3), so the TLS
 * stack never pairs the key with another signature scheme.
 *
 * <p>Immutable and thread-safe.
 */
final class SingleKeyManager extends X509ExtendedKeyManager {
    static final String ALIAS = "libp2p";
    /** Key types naming a P-256 key: the JDK's name, and BouncyCastle JSSE's TLS 1.3 name. */
    private static final java.util.Set<String> KEY_TYPES = java.util.Set.of("EC", "EC/secp256r1");

    private final X509Certificate[] chain;
    private final PrivateKey key;

    SingleKeyManager(Libp2pCertificate.Generated generated) {
        this.chain = new X509Certificate[] {generated.certificate()};
        this.key = generated.privateKey();
    }

    private static String alias(String... keyTypes) {
        if (keyTypes == null) {
            return null;
        }
        for (String t : keyTypes) {
            if (KEY_TYPES.contains(t)) {
                return ALIAS;
            }
        }
        return null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return alias(keyType);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return alias(keyType);
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return alias(keyType) == null ? null : new String[] {ALIAS};
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return alias(keyType);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return alias(keyType) == null ? null : new String[] {ALIAS};
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return alias(keyType);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return ALIAS.equals(alias) ? chain.clone() : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return ALIAS.equals(alias) ? key : null;
    }
}
