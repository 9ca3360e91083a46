package io.crossdial.core.crypto;

/**
 * Key types of the libp2p peer-ids spec, with their protobuf {@code KeyType} numbers.
 * crossdial implements {@link #ED25519} and {@link #SECP256K1}; the others are recognised and rejected.
 */
public enum KeyType {
    /** RSA, number 0; not supported. */
    RSA(0),
    /** Ed25519, number 1: 32-byte public key, 32-byte private seed, 64-byte signatures (RFC 8032). */
    ED25519(1),
    /** secp256k1, number 2: 33-byte compressed public key, 32-byte private scalar, DER ECDSA over SHA-256. */
    SECP256K1(2),
    /** ECDSA (P-256), number 3; not supported. */
    ECDSA(3);

    private final int number;

    KeyType(int number) {
        this.number = number;
    }

    /** @return the protobuf enum number of this type */
    public int number() {
        return number;
    }
}
