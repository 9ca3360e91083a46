package io.crossdial.core.crypto;

import io.crossdial.core.CrossdialException;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.util.Arrays;
import java.util.Locale;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Where the Noise transport's ChaCha20-Poly1305 (RFC 8439) comes from, for the whole process: the JDK's own
 * provider or Conscrypt (BoringSSL, a native library shipped in {@code conscrypt-openjdk-uber}).
 *
 * <p>Conscrypt is used as a {@link Provider} instance passed to {@code Cipher.getInstance(name, provider)};
 * it is never registered with {@code java.security.Security}, so nothing else in the JVM sees it.
 *
 * <p>The choice ({@link Choice}) comes from {@link #select}, else from the system property
 * {@value #PROPERTY} ({@code auto}, {@code jdk} or {@code conscrypt}), else {@code auto}:
 * <ul>
 *   <li>{@code auto}: the JDK's cipher where it has ChaCha20 and Poly1305 intrinsics (JDK 20 and later on
 *       x86-64 and aarch64: faster than Conscrypt there, measured in specs/benchmarks.md); otherwise Conscrypt, where its native library loads, else the JDK's. The
 *       decision and Conscrypt's loading (about 200 ms) run once on a background daemon thread started by the
 *       first use; until it is settled every message uses the JDK's cipher (the output is the same bytes).</li>
 *   <li>{@code jdk}: always the JDK's.</li>
 *   <li>{@code conscrypt}: Conscrypt, loaded by {@link #select} (or at first use, for the property);
 *       {@link CryptoUnavailableException} if its native library does not load.</li>
 * </ul>
 *
 * <p>Only the AEAD goes through this choice: X25519 and Ed25519 stay with BouncyCastle (Conscrypt 2.5.2
 * offers neither through the JCA) and SHA-256/HMAC with the JDK (a Noise handshake hashes a few hundred
 * bytes; a native call costs more than it saves there).
 *
 * <p>Thread-safe. Users of the cipher ({@code CipherState}) read {@link #generation()} per message and take
 * new {@code Cipher} objects from {@link #newChaCha20Poly1305()} when it changed.
 */
public final class CryptoProvider {
    /** The system property read when {@link #select} was not called: {@code auto}, {@code jdk} or {@code conscrypt}. */
    public static final String PROPERTY = "crossdial.crypto.provider";
    /** The JCA transformation of the AEAD. */
    public static final String CHACHA20_POLY1305 = "ChaCha20-Poly1305";

    /** What to use. */
    public enum Choice {
        /** Whichever is faster on this JVM and loads (see the class comment). */
        AUTO,
        /** The JDK's own provider. */
        JDK,
        /** Conscrypt's native BoringSSL; fails if its native library does not load. */
        CONSCRYPT;

        /**
         * @param text {@code auto}, {@code jdk} or {@code conscrypt} (any case)
         * @return the choice
         * @throws IllegalArgumentException for anything else
         */
        public static Choice parse(String text) {
            for (Choice c : values()) {
                if (c.name().equalsIgnoreCase(text.trim())) {
                    return c;
                }
            }
            throw new IllegalArgumentException("crypto provider must be auto, jdk or conscrypt: '" + text + "'");
        }

        /** @return the lower-case name, as the command line spells it */
        public String cliName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * The provider in force.
     *
     * @param requested what was asked for
     * @param provider Conscrypt's provider, or null for the JDK's default
     * @param reason why this one (for {@link #describe()})
     * @param settled false while {@code auto} is still deciding (the JDK's is used meanwhile)
     * @param generation increases whenever the provider in force changes
     */
    private record State(Choice requested, Provider provider, String reason, boolean settled, int generation) {}

    private static final Object LOCK = new Object();
    private static volatile State state;

    private CryptoProvider() {}

    /**
     * Sets the provider for every Noise session started from now on in this process (sessions already running
     * switch at their next message). {@code CONSCRYPT} loads Conscrypt here; {@code AUTO} decides in the
     * background (see the class comment).
     *
     * @param choice what to use
     * @throws CryptoUnavailableException if {@code choice} is {@code CONSCRYPT} and Conscrypt does not load
     */
    public static void select(Choice choice) {
        synchronized (LOCK) {
            int next = state == null ? 1 : state.generation + 1;
            switch (choice) {
                case JDK -> state = new State(Choice.JDK, null, "selected", true, next);
                case CONSCRYPT -> {
                    Provider p = loadConscrypt();
                    state = new State(Choice.CONSCRYPT, p, "selected", true, next);
                }
                case AUTO -> {
                    state = new State(Choice.AUTO, null, "deciding", false, next);
                    startAuto(next);
                }
                default -> throw new IllegalArgumentException(String.valueOf(choice));
            }
        }
    }

    private static State state() {
        State s = state;
        if (s != null) {
            return s;
        }
        synchronized (LOCK) {
            if (state == null) {
                String prop = System.getProperty(PROPERTY, "auto");
                Choice c;
                try {
                    c = Choice.parse(prop);
                } catch (IllegalArgumentException e) {
                    throw new CryptoUnavailableException("-D" + PROPERTY + ": " + e.getMessage(), e);
                }
                select(c);
            }
            return state;
        }
    }

    /** @return what was asked for (by {@link #select}, the system property, or {@code AUTO}) */
    public static Choice requested() {
        return state().requested;
    }

    /**
     * @return a counter that changes whenever the provider in force changes: a {@code Cipher} from
     *     {@link #newChaCha20Poly1305()} is current while this value is unchanged
     */
    public static int generation() {
        return state().generation;
    }

    /** @return {@code "conscrypt"} or {@code "jdk"}: the provider messages use now */
    public static String active() {
        return state().provider == null ? "jdk" : "conscrypt";
    }

    /**
     * @return a new, uninitialised ChaCha20-Poly1305 {@code Cipher} from the provider in force
     * @throws CryptoUnavailableException if the provider has no such cipher (a JDK without it)
     */
    public static Cipher newChaCha20Poly1305() {
        Provider p = state().provider;
        try {
            return p == null ? Cipher.getInstance(CHACHA20_POLY1305) : Cipher.getInstance(CHACHA20_POLY1305, p);
        } catch (GeneralSecurityException e) {
            throw new CryptoUnavailableException("no " + CHACHA20_POLY1305 + " in " + (p == null ? "the JDK" : p), e);
        }
    }

    /**
     * Waits (at most {@code timeoutMillis}) for {@code auto} to settle.
     *
     * @param timeoutMillis the longest wait, in ms
     * @return {@link #describe()} afterwards
     */
    public static String awaitSettled(long timeoutMillis) {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        synchronized (LOCK) {
            while (!state().settled) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    break;
                }
                try {
                    LOCK.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        return describe();
    }

    /**
     * @return one line for humans: the provider in force, its version, what was asked for and why, e.g.
     *     {@code conscrypt 2.5.2 (BoringSSL, native) for ChaCha20-Poly1305; auto: the JDK has no ChaCha20/Poly1305 intrinsics}
     */
    public static String describe() {
        State s = state();
        String what = s.provider == null
                ? "jdk " + jdkProviderName() + " for " + CHACHA20_POLY1305
                : "conscrypt " + conscryptVersion() + " (BoringSSL, native) for " + CHACHA20_POLY1305;
        return what + "; " + s.requested.cliName() + ": " + s.reason;
    }

    private static String jdkProviderName() {
        try {
            Provider p = Cipher.getInstance(CHACHA20_POLY1305).getProvider();
            return p.getName() + " " + p.getVersionStr();
        } catch (GeneralSecurityException e) {
            return "(none)";
        }
    }

    private static String conscryptVersion() {
        org.conscrypt.Conscrypt.Version v = org.conscrypt.Conscrypt.version();
        return v.major() + "." + v.minor() + "." + v.patch();
    }

    private static void startAuto(int generation) {
        Thread t = new Thread(() -> {
            Provider p = null;
            String reason;
            if (jdkHasAeadIntrinsics()) {
                reason = "JDK " + Runtime.version().feature() + " has ChaCha20 and Poly1305 intrinsics (faster than Conscrypt)";
            } else {
                try {
                    p = loadConscrypt();
                    reason = "JDK " + Runtime.version().feature() + " has no ChaCha20/Poly1305 intrinsics";
                } catch (CryptoUnavailableException e) {
                    reason = "JDK " + Runtime.version().feature() + " has no ChaCha20/Poly1305 intrinsics, but " + e.getMessage();
                }
            }
            synchronized (LOCK) {
                if (state != null && state.generation == generation) {
                    // the provider in force changes only if it is another one
                    state = new State(Choice.AUTO, p, reason, true, p == null ? generation : generation + 1);
                }
                LOCK.notifyAll();
            }
        }, "crossdial-crypto-provider");
        t.setDaemon(true);
        t.start();
    }

    /**
     * @return whether this JVM has HotSpot's ChaCha20 and Poly1305 intrinsics: JDK 20 and later on x86-64 and
     *     aarch64 ({@code -XX:+UseChaCha20Intrinsics} and {@code -XX:+UsePoly1305Intrinsics}
     *     are diagnostic flags, which the management API does not show unless unlocked, so the version and
     *     architecture decide)
     */
    static boolean jdkHasAeadIntrinsics() {
        String arch = System.getProperty("os.arch", "");
        boolean vectorArch = arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64");
        return Runtime.version().feature() >= 20 && vectorArch;
    }

    /**
     * Loads Conscrypt's native library and checks its ChaCha20-Poly1305 against the JDK's on one message.
     *
     * @return a new Conscrypt provider (not registered anywhere)
     * @throws CryptoUnavailableException if it does not load or disagrees with the JDK
     */
    static Provider loadConscrypt() {
        Provider p;
        try {
            org.conscrypt.Conscrypt.checkAvailability();
            p = org.conscrypt.Conscrypt.newProvider();
        } catch (Throwable e) {
            throw new CryptoUnavailableException("conscrypt's native library did not load: " + e, e);
        }
        try {
            byte[] key = new byte[32];
            byte[] iv = new byte[12];
            byte[] msg = new byte[100];
            for (int i = 0; i < msg.length; i++) {
                msg[i] = (byte) i;
                key[i % 32] ^= (byte) (7 * i);
            }
            SecretKeySpec k = new SecretKeySpec(key, "ChaCha20");
            Cipher c = Cipher.getInstance(CHACHA20_POLY1305, p);
            c.init(Cipher.ENCRYPT_MODE, k, new IvParameterSpec(iv));
            byte[] a = c.doFinal(msg);
            Cipher j = Cipher.getInstance(CHACHA20_POLY1305);
            j.init(Cipher.ENCRYPT_MODE, k, new IvParameterSpec(iv));
            if (!Arrays.equals(a, j.doFinal(msg))) {
                throw new CryptoUnavailableException("conscrypt's ChaCha20-Poly1305 disagrees with the JDK's", null);
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            if (e instanceof CryptoUnavailableException u) {
                throw u;
            }
            throw new CryptoUnavailableException("conscrypt's ChaCha20-Poly1305 failed its check: " + e, e);
        }
        return p;
    }

    /** The provider asked for cannot be used. */
    public static final class CryptoUnavailableException extends CrossdialException {
        private static final long serialVersionUID = 1L;

        /**
         * @param message what failed
         * @param cause the underlying failure, or null
         */
        public CryptoUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
