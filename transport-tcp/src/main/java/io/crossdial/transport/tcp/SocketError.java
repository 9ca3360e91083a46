package io.crossdial.transport.tcp;

import io.netty.channel.ConnectTimeoutException;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;

/**
 * What a bind or connect failed with, told from the exception Netty's NIO transport reports: by the exception
 * type, which is the errno or narrows it to a few, and by the errno's text only where the type leaves a choice.
 *
 * <h2>Where the errno is</h2>
 * NIO exposes no errno ({@code io.netty.channel.unix.Errors.NativeIoException.expectedErr()} is the epoll and
 * kqueue transports'). The JDK turns a failed {@code bind}, {@code connect} or the {@code SO_ERROR} of a
 * non-blocking connect ({@code Net.pollConnect}) into an exception in one function of
 * {@code src/java.base/unix/native/libnio/ch/Net.c}, {@code handleSocketError} (in newer JDKs
 * {@code handleSocketErrorWithMessage}, same mapping):
 * <pre>
 *   errno                               exception                        kind here
 *   ECONNREFUSED, ETIMEDOUT, ENOTCONN   java.net.ConnectException        CONNECTION_REFUSED by text, else OTHER
 *   EHOSTUNREACH                        java.net.NoRouteToHostException  HOST_UNREACHABLE
 *   EADDRINUSE, EADDRNOTAVAIL, EACCES   java.net.BindException           ADDRESS_IN_USE, ADDRESS_NOT_AVAILABLE,
 *                                                                        PERMISSION_DENIED by text, else OTHER
 *   EPROTO                              java.net.ProtocolException       OTHER
 *   any other (ENETUNREACH, ...)        java.net.SocketException         OTHER
 * </pre>
 * Its message is the C library's {@code strerror(errno)} ({@code JNU_ThrowByNameWithLastError},
 * {@code src/java.base/share/native/libjava/jni_util.c}); the JDK keeps no errno field. So inside
 * {@code BindException} and {@code ConnectException} the text is the only thing left that tells the errnos
 * apart, and {@link #errnoText} reads it there and nowhere else. The texts matched are glibc's; a C library with
 * other texts (musl: "Address in use"; macOS: "Can't assign requested address") gives {@link #OTHER}.
 *
 * <p>Netty's {@code AbstractChannel.annotateConnectException} wraps what a connect threw (the bind of the
 * dial's local address included) in {@code AnnotatedConnectException}, {@code AnnotatedNoRouteToHostException}
 * or {@code AnnotatedSocketException}, adding the remote address to the message and keeping the JDK's exception
 * as the cause; a failed bind of a listen socket reaches the bind future unwrapped. The JDK's exception is
 * therefore the deepest {@link IOException} of the chain ({@link #origin}). Netty's own connect timer fails with
 * {@link ConnectTimeoutException} (no cause). {@code java.net.PortUnreachableException} is thrown only by
 * datagram sockets (ECONNREFUSED on a connected UDP socket, {@code DatagramChannelImpl}); no TCP path raises it.
 */
enum SocketError {
    /** EADDRINUSE: another socket holds the address and port (one without SO_REUSEPORT, or another user's) */
    ADDRESS_IN_USE,
    /** EADDRNOTAVAIL: the address is not this host's (bind), or the 4-tuple is taken (connect from a bound port) */
    ADDRESS_NOT_AVAILABLE,
    /** EACCES: a privileged port without the right to bind it, or a security policy */
    PERMISSION_DENIED,
    /** ECONNREFUSED: nothing listens there (the remote answered with a reset) */
    CONNECTION_REFUSED,
    /** EHOSTUNREACH */
    HOST_UNREACHABLE,
    /** the transport's connect timeout ran out ({@link TcpTransportConfig#connectTimeoutMillis()}) */
    CONNECT_TIMED_OUT,
    /** the host name did not resolve */
    UNKNOWN_HOST,
    /** anything else, including the kernel's own connect timeout (ETIMEDOUT) and texts not matched */
    OTHER;

    /** How deep {@link #origin} follows causes (guards against cause cycles). */
    private static final int MAX_CAUSE_DEPTH = 16;

    /**
     * @param failure what a bind or connect future failed with; null gives {@link #OTHER}
     * @return its kind
     */
    static SocketError of(Throwable failure) {
        Throwable jdk = origin(failure);
        if (jdk instanceof ConnectTimeoutException) {
            return CONNECT_TIMED_OUT; // before ConnectException: Netty's timer exception extends it
        }
        if (jdk instanceof UnknownHostException) {
            return UNKNOWN_HOST;
        }
        if (jdk instanceof NoRouteToHostException) {
            return HOST_UNREACHABLE;
        }
        if (jdk instanceof BindException) {
            String text = errnoText(jdk);
            if (text.contains("Address already in use")) {
                return ADDRESS_IN_USE;
            }
            if (text.contains("Cannot assign requested address")) {
                return ADDRESS_NOT_AVAILABLE;
            }
            if (text.contains("Permission denied")) {
                return PERMISSION_DENIED;
            }
            return OTHER;
        }
        if (jdk instanceof ConnectException) {
            return errnoText(jdk).contains("Connection refused") ? CONNECTION_REFUSED : OTHER;
        }
        return OTHER;
    }

    /**
     * The exception the JDK (or Netty's resolver or connect timer) raised: the deepest {@link IOException} in the
     * cause chain, past Netty's annotating wrappers.
     *
     * @param failure the reported failure
     * @return the deepest I/O exception, else {@code failure} itself (null for null)
     */
    static Throwable origin(Throwable failure) {
        Throwable found = failure;
        Throwable t = failure;
        for (int depth = 0; t != null && depth < MAX_CAUSE_DEPTH; depth++) {
            if (t instanceof IOException) {
                found = t;
            }
            Throwable next = t.getCause();
            t = next == t ? null : next;
        }
        return found;
    }

    /**
     * The message of a {@code BindException} or {@code ConnectException} from {@code Net.c}:
     * {@code strerror(errno)}, matched with {@code contains} because newer JDKs may put a context next to it. Read
     * only where the exception type does not already name the errno; see the class comment.
     */
    private static String errnoText(Throwable jdk) {
        String message = jdk.getMessage();
        return message == null ? "" : message;
    }

    /**
     * The reason part of a one-line failure message ({@code cannot connect to A: <reason>}): "connection refused",
     * "connect timed out", "unknown host H", else the exception's own message (for an I/O exception) or its type
     * and message.
     *
     * @param failure what failed; null gives "unknown error"
     * @return the reason, one line as the JDK gives it
     */
    static String describe(Throwable failure) {
        if (failure == null) {
            return "unknown error";
        }
        switch (of(failure)) {
            case CONNECT_TIMED_OUT:
                return "connect timed out";
            case UNKNOWN_HOST:
                return "unknown host " + origin(failure).getMessage();
            case CONNECTION_REFUSED:
                return "connection refused";
            default:
                break;
        }
        String m = failure.getMessage();
        if (failure instanceof IOException) {
            return m == null ? failure.getClass().getSimpleName() : m;
        }
        return failure.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
