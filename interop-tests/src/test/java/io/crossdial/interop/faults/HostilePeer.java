package io.crossdial.interop.faults;

import io.crossdial.core.spi.Role;
import io.crossdial.host.protocol.PingResponder;
import io.crossdial.host.protocol.ProtocolIds;
import io.crossdial.muxer.yamux.YamuxStreamMuxer;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A libp2p peer on a raw JDK socket that follows the upgrade step by step and stops at a chosen {@link Point}
 * with a chosen {@link Fault}. Multistream-select and yamux are written and parsed here byte by byte; the
 * security handshake is crossdial's own transport stepped by hand ({@link HostileSecurity}), so the script can
 * stop after Noise message 1, 2 or 3 or in the middle of the TLS handshake. Every read is exact (a multistream
 * message, a Noise frame, a TLS record, a yamux frame), so the script never reads past the point it stops at.
 *
 * <p>Not thread-safe: one script thread per peer. Every read has a timeout ({@link #READ_TIMEOUT_MILLIS}).
 */
final class HostilePeer implements AutoCloseable {
    /** The longest any read of the script waits, ms. */
    static final int READ_TIMEOUT_MILLIS = 15_000;
    static final String HEADER = "/multistream/1.0.0";

    /** Where the script stops, in upgrade order. */
    enum Point {
        /** TCP connected (accepted), not a byte exchanged */
        AFTER_CONNECT(HostileSecurity.Kind.NOISE),
        /** inside the security round: the multistream header sent, no protocol agreed */
        SECURITY_ROUND(HostileSecurity.Kind.NOISE),
        /** Noise message 1 sent (dialer) or read (listener) */
        NOISE_1(HostileSecurity.Kind.NOISE),
        /** Noise message 2 read (dialer) or sent (listener) */
        NOISE_2(HostileSecurity.Kind.NOISE),
        /** Noise message 3 sent (dialer) or read (listener): the handshake is complete on both sides */
        NOISE_3(HostileSecurity.Kind.NOISE),
        /** TLS: the dialer has the listener's whole first flight, or the listener has the ClientHello */
        TLS_HANDSHAKE(HostileSecurity.Kind.TLS),
        /** inside the muxer round over Noise: the multistream header sent, no muxer agreed */
        MUXER_ROUND(HostileSecurity.Kind.NOISE),
        /** inside the muxer round over TLS */
        MUXER_ROUND_TLS(HostileSecurity.Kind.TLS),
        /** Noise + yamux up, a ping stream opened by the peer under test, one ping echoed */
        MID_STREAM(HostileSecurity.Kind.NOISE);

        final HostileSecurity.Kind security;

        Point(HostileSecurity.Kind security) {
            this.security = security;
        }

        /** @return whether the script gets to the muxer round */
        boolean muxerRound() {
            return this == MUXER_ROUND || this == MUXER_ROUND_TLS || this == MID_STREAM;
        }
    }

    /** What the hostile peer does at its point. */
    enum Fault {
        /** SO_LINGER 0, then close: the kernel sends RST */
        RST,
        /** shutdownOutput: FIN, and go on reading */
        FIN,
        /** send nothing more, go on reading */
        SILENCE;

        void apply(Socket s) throws IOException {
            switch (this) {
                case RST -> {
                    s.setSoLinger(true, 0);
                    s.close();
                }
                case FIN -> s.shutdownOutput();
                case SILENCE -> { }
            }
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private HostileSecurity security;
    private byte[] plain = new byte[0];

    HostilePeer(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(READ_TIMEOUT_MILLIS);
        socket.setTcpNoDelay(true);
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** What happened on the hostile side. */
    record Outcome(long faultNanos, long remoteClosedNanos) {
        /** @return ms from the fault until the peer under test closed the connection, -1 when not observed */
        long closeMillis() {
            return remoteClosedNanos == 0 ? -1 : (remoteClosedNanos - faultNanos) / 1_000_000;
        }
    }

    /**
     * Runs the script as the dialer (initiator) up to {@code point}, then applies {@code fault}.
     *
     * @param beforeFault runs right before the fault (the test waits there until the listener has accepted)
     * @param afterFault runs right after the fault
     */
    Outcome runAsDialer(Point point, Fault fault, Runnable beforeFault, Runnable afterFault) throws IOException {
        if (point != Point.AFTER_CONNECT) {
            sendRaw(message(HEADER));
            expect(HEADER, readRawMessage());
            if (point != Point.SECURITY_ROUND) {
                sendRaw(message(point.security.protocolId));
                expect(point.security.protocolId, readRawMessage());
                security = new HostileSecurity(point.security, Role.INITIATOR);
                if (point.security == HostileSecurity.Kind.NOISE) {
                    sendRaw(security.outbound()); // message 1
                    if (point != Point.NOISE_1) {
                        security.inbound(readRecord()); // message 2
                        if (point != Point.NOISE_2) {
                            sendRaw(security.outbound()); // message 3
                            requireSecured();
                        }
                    }
                } else {
                    sendRaw(security.outbound()); // ClientHello
                    ByteArrayOutputStream flight = new ByteArrayOutputStream();
                    while (!security.secured()) {
                        security.inbound(readRecord()); // ServerHello .. server Finished
                        flight.writeBytes(security.outbound()); // ChangeCipherSpec, then Certificate .. Finished
                    }
                    if (point != Point.TLS_HANDSHAKE) {
                        sendRaw(flight.toByteArray());
                    }
                }
                if (point.muxerRound()) {
                    sendPlain(message(HEADER));
                    expect(HEADER, readPlainMessage());
                    if (point != Point.MUXER_ROUND && point != Point.MUXER_ROUND_TLS) {
                        sendPlain(message(YamuxStreamMuxer.PROTOCOL_ID));
                        expect(YamuxStreamMuxer.PROTOCOL_ID, readPlainMessage());
                        servePingStreamOnce();
                    }
                }
            }
        }
        return fault(fault, beforeFault, afterFault);
    }

    /** Runs the script as the listener (responder) up to {@code point}, then applies {@code fault}. */
    Outcome runAsListener(Point point, Fault fault, Runnable beforeFault, Runnable afterFault) throws IOException {
        if (point != Point.AFTER_CONNECT) {
            expect(HEADER, readRawMessage());
            String wanted = point.security.protocolId;
            String proposal;
            boolean headerSent = false;
            while (!(proposal = readRawMessage()).equals(wanted)) {
                sendRaw(concat(headerSent ? new byte[0] : message(HEADER), message("na")));
                headerSent = true;
            }
            if (!headerSent) {
                sendRaw(message(HEADER));
            }
            if (point != Point.SECURITY_ROUND) {
                sendRaw(message(proposal));
                security = new HostileSecurity(point.security, Role.RESPONDER);
                if (point.security == HostileSecurity.Kind.NOISE) {
                    security.inbound(readRecord()); // message 1
                    if (point != Point.NOISE_1) {
                        sendRaw(security.outbound()); // message 2
                        if (point != Point.NOISE_2) {
                            security.inbound(readRecord()); // message 3
                            requireSecured();
                        }
                    }
                } else {
                    byte[] flight;
                    while ((flight = security.outbound()).length == 0) {
                        security.inbound(readRecord()); // ClientHello
                    }
                    if (point != Point.TLS_HANDSHAKE) {
                        sendRaw(flight); // ServerHello .. server Finished
                        while (!security.secured()) {
                            security.inbound(readRecord()); // client Certificate .. Finished
                        }
                        sendRaw(security.outbound()); // session tickets, if any
                    }
                }
                if (point.muxerRound()) {
                    expect(HEADER, readPlainMessage());
                    String muxer = readPlainMessage();
                    expect(YamuxStreamMuxer.PROTOCOL_ID, muxer);
                    sendPlain(message(HEADER));
                    if (point != Point.MUXER_ROUND && point != Point.MUXER_ROUND_TLS) {
                        sendPlain(message(muxer));
                        servePingStreamOnce();
                    }
                }
            }
        }
        return fault(fault, beforeFault, afterFault);
    }

    private Outcome fault(Fault fault, Runnable beforeFault, Runnable afterFault) throws IOException {
        beforeFault.run();
        long faultNanos = System.nanoTime();
        fault.apply(socket);
        afterFault.run();
        long closed = 0;
        if (fault != Fault.RST) {
            closed = awaitRemoteClose();
        }
        return new Outcome(faultNanos, closed);
    }

    /**
     * Reads (and drops) until the peer under test closes: EOF or a reset. Yamux pings are not answered: the
     * peer is silent from here on.
     *
     * @return when the close was seen, System.nanoTime(); 0 when the read timed out first
     */
    private long awaitRemoteClose() throws IOException {
        byte[] sink = new byte[8192];
        try {
            while (in.read(sink) != -1) {
                // drop
            }
        } catch (SocketTimeoutException e) {
            return 0;
        } catch (SocketException e) {
            // reset by the peer under test: it closed with our bytes unread
        }
        return System.nanoTime();
    }

    private void requireSecured() {
        security.checkHealthy();
        if (!security.secured()) {
            throw new IllegalStateException("the hostile " + security.kind() + " handshake did not complete");
        }
    }

    // ---- yamux, written by hand ----

    private static final int TYPE_DATA = 0;
    private static final int TYPE_WINDOW_UPDATE = 1;
    private static final int TYPE_PING = 2;
    private static final int TYPE_GO_AWAY = 3;
    private static final int FLAG_SYN = 1;
    private static final int FLAG_ACK = 2;

    /**
     * Serves one ping stream that the peer under test opens: answers keepalive pings, accepts the stream, agrees
     * on ping with multistream-select and echoes the first 32-byte ping. Returns after that echo.
     */
    private void servePingStreamOnce() throws IOException {
        long stream = -1;
        byte[] data = new byte[0];
        boolean negotiated = false;
        byte[] expectedProposal = concat(message(HEADER), message(ProtocolIds.PING));
        while (true) {
            ByteBuffer h = ByteBuffer.wrap(readPlain(12));
            int version = h.get() & 0xff;
            int type = h.get() & 0xff;
            int flags = h.getShort() & 0xffff;
            long id = h.getInt() & 0xffffffffL;
            long length = h.getInt() & 0xffffffffL;
            if (version != 0) {
                throw new IllegalStateException("yamux version " + version);
            }
            switch (type) {
                case TYPE_PING -> {
                    if ((flags & FLAG_SYN) != 0) {
                        sendPlain(frame(TYPE_PING, FLAG_ACK, 0, length, new byte[0]));
                    }
                    continue;
                }
                case TYPE_GO_AWAY -> throw new IllegalStateException("yamux GoAway " + length + " from the peer under test");
                case TYPE_WINDOW_UPDATE -> { }
                case TYPE_DATA -> {
                    if (length > 1 << 20) {
                        throw new IllegalStateException("yamux data frame of " + length + " bytes");
                    }
                    byte[] payload = readPlain((int) length);
                    if (stream == -1 || id == stream) {
                        data = concat(data, payload);
                    }
                }
                default -> throw new IllegalStateException("yamux type " + type);
            }
            if ((flags & FLAG_SYN) != 0 && stream == -1) {
                stream = id;
            }
            if (stream == -1) {
                continue;
            }
            if (!negotiated && data.length >= expectedProposal.length) {
                if (!Arrays.equals(Arrays.copyOf(data, expectedProposal.length), expectedProposal)) {
                    throw new IllegalStateException("unexpected stream negotiation bytes");
                }
                data = Arrays.copyOfRange(data, expectedProposal.length, data.length);
                sendPlain(frame(TYPE_DATA, FLAG_ACK, stream, expectedProposal.length, expectedProposal));
                negotiated = true;
            }
            if (negotiated && data.length >= PingResponder.PAYLOAD_BYTES) {
                byte[] ping = Arrays.copyOf(data, PingResponder.PAYLOAD_BYTES);
                sendPlain(frame(TYPE_DATA, 0, stream, ping.length, ping));
                return;
            }
        }
    }

    private static byte[] frame(int type, int flags, long stream, long length, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(12 + payload.length);
        b.put((byte) 0).put((byte) type).putShort((short) flags).putInt((int) stream).putInt((int) length);
        b.put(payload);
        return b.array();
    }

    // ---- multistream-select, records, plaintext ----

    /** @return {@code varint(len) text \n}; texts under 127 bytes */
    static byte[] message(String text) {
        byte[] t = (text + "\n").getBytes(StandardCharsets.UTF_8);
        if (t.length > 127) {
            throw new IllegalArgumentException("long message");
        }
        byte[] m = new byte[1 + t.length];
        m[0] = (byte) t.length;
        System.arraycopy(t, 0, m, 1, t.length);
        return m;
    }

    private static void expect(String expected, String got) {
        if (!expected.equals(got)) {
            throw new IllegalStateException("expected " + expected + ", got " + got);
        }
    }

    private void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    private String readRawMessage() throws IOException {
        int length = in.readUnsignedByte();
        if (length > 127) {
            throw new IllegalStateException("multistream message of more than 127 bytes");
        }
        byte[] m = new byte[length];
        in.readFully(m);
        return text(m);
    }

    private static String text(byte[] m) {
        if (m.length == 0 || m[m.length - 1] != '\n') {
            throw new IllegalStateException("multistream message without newline");
        }
        return new String(m, 0, m.length - 1, StandardCharsets.UTF_8);
    }

    /** @return one whole record of the security transport, its length prefix or header included */
    private byte[] readRecord() throws IOException {
        boolean tls = security.kind() == HostileSecurity.Kind.TLS;
        byte[] head = new byte[tls ? 5 : 2];
        in.readFully(head);
        int length = tls ? ((head[3] & 0xff) << 8) | (head[4] & 0xff) : ((head[0] & 0xff) << 8) | (head[1] & 0xff);
        byte[] record = Arrays.copyOf(head, head.length + length);
        in.readFully(record, head.length, length);
        return record;
    }

    private void sendPlain(byte[] bytes) throws IOException {
        sendRaw(security.seal(bytes));
    }

    /** @return the next {@code n} plaintext bytes, reading records as needed */
    private byte[] readPlain(int n) throws IOException {
        while (plain.length < n) {
            security.inbound(readRecord());
            plain = concat(plain, security.takePlaintext());
            // what the engine answers by itself (TLS key updates) goes out at once
            byte[] own = security.outbound();
            if (own.length > 0) {
                sendRaw(own);
            }
        }
        byte[] b = Arrays.copyOf(plain, n);
        plain = Arrays.copyOfRange(plain, n, plain.length);
        return b;
    }

    private String readPlainMessage() throws IOException {
        int length = readPlain(1)[0] & 0xff;
        if (length > 127) {
            throw new IllegalStateException("multistream message of more than 127 bytes");
        }
        return text(readPlain(length));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(a.length + b.length);
        out.writeBytes(a);
        out.writeBytes(b);
        return out.toByteArray();
    }

    @Override
    public void close() {
        if (security != null) {
            security.close();
        }
        try {
            socket.close();
        } catch (IOException e) {
            // closing
        }
    }
}
