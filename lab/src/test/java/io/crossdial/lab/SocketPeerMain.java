package io.crossdial.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A lab peer on plain JDK sockets (no crossdial code), run as a child process inside a namespace. One JSON
 * command per stdin line, one JSON answer per stdout line:
 *
 * <pre>
 * {"cmd":"listen","host":H,"port":P}     -> {"event":"listening","local":"H:P"}
 * {"cmd":"dial","host":R,"port":P,"timeoutMillis":T}
 *                                         -> {"event":"dialing","local":"H:P"}   (socket in SYN_SENT)
 *                                         -> {"event":"connected","local":..,"remote":..,"millis":..}
 * {"cmd":"accepts"}                       -> {"event":"accepts","count":N}      (non-blocking accept loop)
 * {"cmd":"exchange","text":S}             -> {"event":"exchanged","received":S'} (write a line, read a line)
 * {"cmd":"reset"}                         -> {"event":"reset"}                   (closes all sockets)
 * </pre>
 *
 * Failures answer {@code {"event":"error","message":...}}. EOF on stdin ends the program.
 */
public final class SocketPeerMain {
    private final PrintStream out;
    private ServerSocketChannel listener;
    private SocketChannel connection;
    private InetSocketAddress listenAddress;

    private SocketPeerMain(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) throws IOException {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        SocketPeerMain peer = new SocketPeerMain(out);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) {
                continue;
            }
            try {
                peer.handle(JsonLines.parseObject(line, LabPeer.MAX_LINE_CHARS, JsonLines.BigIntegers.ACCEPT));
            } catch (Exception e) {
                peer.emit(Map.of("event", "error", "message", String.valueOf(e)));
            }
        }
        peer.reset();
    }

    private void handle(Map<String, Object> command) throws IOException {
        String cmd = String.valueOf(command.get("cmd"));
        switch (cmd) {
            case "listen": {
                reset();
                listenAddress = new InetSocketAddress((String) command.get("host"),
                        ((Number) command.get("port")).intValue());
                listener = ServerSocketChannel.open();
                listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                listener.setOption(StandardSocketOptions.SO_REUSEPORT, true);
                listener.bind(listenAddress);
                listener.configureBlocking(false);
                emit(Map.of("event", "listening", "local", text(listenAddress)));
                break;
            }
            case "dial":
                dial(new InetSocketAddress((String) command.get("host"), ((Number) command.get("port")).intValue()),
                        ((Number) command.getOrDefault("timeoutMillis", 10_000L)).longValue());
                break;
            case "accepts": {
                int count = 0;
                SocketChannel accepted;
                while (listener != null && (accepted = listener.accept()) != null) {
                    accepted.close();
                    count++;
                }
                emit(Map.of("event", "accepts", "count", count));
                break;
            }
            case "exchange": {
                connection.socket().setSoTimeout(5_000);
                connection.socket().getOutputStream()
                        .write((command.get("text") + "\n").getBytes(StandardCharsets.UTF_8));
                emit(Map.of("event", "exchanged", "received", readLine(connection.socket().getInputStream())));
                break;
            }
            case "reset":
                reset();
                emit(Map.of("event", "reset"));
                break;
            default:
                emit(Map.of("event", "error", "message", "unknown cmd " + cmd));
        }
    }

    private void dial(InetSocketAddress remote, long timeoutMillis) throws IOException {
        long start = System.nanoTime();
        SocketChannel channel = SocketChannel.open();
        channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
        channel.bind(listenAddress);
        channel.configureBlocking(false);
        boolean done = channel.connect(remote); // the SYN is sent inside this call
        emit(Map.of("event", "dialing", "local", text((InetSocketAddress) channel.getLocalAddress())));
        try (Selector selector = Selector.open()) {
            channel.register(selector, SelectionKey.OP_CONNECT);
            long deadline = start + timeoutMillis * 1_000_000L;
            while (!done) {
                long leftMillis = (deadline - System.nanoTime()) / 1_000_000L;
                if (leftMillis <= 0) {
                    channel.close();
                    emit(Map.of("event", "error", "message", "connect timed out after " + timeoutMillis + " ms"));
                    return;
                }
                selector.select(leftMillis);
                done = channel.finishConnect();
            }
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        channel.configureBlocking(true);
        connection = channel;
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("event", "connected");
        event.put("local", text((InetSocketAddress) channel.getLocalAddress()));
        event.put("remote", text((InetSocketAddress) channel.getRemoteAddress()));
        event.put("millis", (System.nanoTime() - start) / 1_000_000L);
        emit(event);
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (sb.length() >= 1024) {
                throw new IOException("line too long");
            }
            sb.append((char) c);
        }
        return sb.toString();
    }

    private void reset() throws IOException {
        if (connection != null) {
            connection.close();
            connection = null;
        }
        if (listener != null) {
            listener.close();
            listener = null;
        }
    }

    private static String text(InetSocketAddress address) {
        return address.getAddress().getHostAddress() + ":" + address.getPort();
    }

    private synchronized void emit(Map<String, ?> event) {
        out.println(JsonLines.write(event));
    }
}
