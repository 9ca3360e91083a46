package io.crossdial.host;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A DNS server on 127.0.0.1 (UDP, a free port) that answers TXT queries from a table (RFC 1035 section 4
 * message layout: 12-byte header, the question echoed, answers naming it by the pointer 0xC00C) and NXDOMAIN
 * for any other name. Enough for JNDI's DNS provider; queries of other types get no answers.
 */
final class DnsStub implements AutoCloseable {
    private final DatagramSocket socket;
    private final Map<String, List<String>> txt = new ConcurrentHashMap<>();
    private final Thread thread;

    DnsStub() throws SocketException {
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        thread = new Thread(this::serve, "dns-stub");
        thread.setDaemon(true);
        thread.start();
    }

    /** @return {@code 127.0.0.1:PORT} */
    String address() {
        return "127.0.0.1:" + socket.getLocalPort();
    }

    void txt(String name, String... records) {
        txt.put(name.toLowerCase(Locale.ROOT), List.of(records));
    }

    private void serve() {
        byte[] buf = new byte[512];
        while (!socket.isClosed()) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(p);
                byte[] answer = answer(buf, p.getLength());
                if (answer != null) {
                    socket.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
                }
            } catch (IOException | RuntimeException e) {
                if (socket.isClosed()) {
                    return;
                }
            }
        }
    }

    private byte[] answer(byte[] q, int len) {
        if (len < 12) {
            return null;
        }
        int i = 12;
        StringBuilder name = new StringBuilder();
        while (i < len && q[i] != 0) {
            int l = q[i] & 0xFF;
            if (name.length() > 0) {
                name.append('.');
            }
            name.append(new String(q, i + 1, l, StandardCharsets.US_ASCII));
            i += l + 1;
        }
        int questionEnd = i + 5; // terminating 0, QTYPE, QCLASS
        if (questionEnd > len) {
            return null;
        }
        int qtype = ((q[i + 1] & 0xFF) << 8) | (q[i + 2] & 0xFF);
        List<String> records = txt.get(name.toString().toLowerCase(Locale.ROOT));
        List<String> answers = records == null || qtype != 16 ? List.of() : records;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(q[0]);
        out.write(q[1]);
        out.write(0x81); // QR, RD
        out.write(records == null ? 0x83 : 0x80); // RA, rcode 3 (NXDOMAIN) or 0
        out.write(0);
        out.write(1); // QDCOUNT
        out.write(0);
        out.write(answers.size()); // ANCOUNT
        out.write(0);
        out.write(0);
        out.write(0);
        out.write(0);
        out.write(q, 12, questionEnd - 12);
        for (String r : answers) {
            byte[] text = r.getBytes(StandardCharsets.UTF_8);
            out.write(0xC0);
            out.write(0x0C); // the question's name
            out.write(0);
            out.write(16); // TXT
            out.write(0);
            out.write(1); // IN
            out.write(0);
            out.write(0);
            out.write(0);
            out.write(60); // TTL 60 s
            out.write(0);
            out.write(text.length + 1); // RDLENGTH
            out.write(text.length); // one character-string
            out.write(text, 0, text.length);
        }
        return out.toByteArray();
    }

    @Override
    public void close() throws InterruptedException {
        socket.close();
        thread.join(2_000);
    }
}
