package io.crossdial.interop.listen;

import io.crossdial.core.multiaddr.Multiaddr;
import io.crossdial.transport.tcp.TcpListener;
import io.crossdial.transport.tcp.TcpTransport;
import io.crossdial.transport.tcp.TcpTransportConfig;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A connect storm against a two-shard listener on 127.0.0.1 in which shard 0 is closed after a quarter of the
 * connections were served; run inside a network namespace by {@link ShardCloseLabTest} (and by hand).
 *
 * <p>Each accepted connection is sent one byte (42) and closed. A client whose connect succeeded but who then
 * reads EOF or a reset instead of the byte was lost in the closed shard's queue; a refused connect is counted
 * apart. Arguments: {@code [clients [connectsPerClient]]}, default 8 and 250. Prints one JSON line:
 * <pre>
 * {"event":"storm","connects":2000,"served":..,"lost":..,"refused":..,"shardAccepts":[a,b],
 *  "tcpMigrateReq":true|false,"kernel":"6.x"}
 * </pre>
 * and exits 0; any other failure exits 1 with the error on stderr. Every wait is bounded (connects and reads
 * 5 s, the storm 60 s).
 */
public final class ShardCloseStormMain {
    private ShardCloseStormMain() {}

    public static void main(String[] args) throws Exception {
        int clients = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int perClient = args.length > 1 ? Integer.parseInt(args[1]) : 250;
        ChannelInitializer<Channel> greeter = new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {42}))
                                .addListener(ChannelFutureListener.CLOSE);
                    }
                });
            }
        };
        // every client connects from 127.0.0.1: no per-address handshake limit, the storm is about shard closes
        TcpTransport transport = new TcpTransport(TcpTransportConfig.defaults().withShards(2).withBacklog(8192)
                .withInterfacePollMillis(0).withMaxHandshakesPerAddress(0));
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            TcpListener listener = transport.listenAll(List.of(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")),
                    greeter).get(0);
            InetSocketAddress to = listener.localAddress();
            AtomicInteger lost = new AtomicInteger();
            AtomicInteger served = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < perClient; i++) {
                        try (Socket s = new Socket()) {
                            s.connect(to, 5_000);
                            s.setSoTimeout(5_000);
                            if (s.getInputStream().read() == 42) {
                                served.incrementAndGet();
                            } else {
                                lost.incrementAndGet();
                            }
                        } catch (ConnectException e) {
                            refused.incrementAndGet();
                        } catch (IOException e) {
                            lost.incrementAndGet(); // reset after a completed connect
                        }
                    }
                    return null;
                }));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (served.get() <= clients * perClient / 4 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            listener.closeShard(0).await(5, TimeUnit.SECONDS);
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            System.out.println("{\"event\":\"storm\",\"connects\":" + clients * perClient + ",\"served\":" + served.get()
                    + ",\"lost\":" + lost.get() + ",\"refused\":" + refused.get() + ",\"shardAccepts\":"
                    + listener.stats().shardAccepts() + ",\"tcpMigrateReq\":" + TcpListener.kernelMigratesRequests()
                    + ",\"kernel\":\"" + System.getProperty("os.version") + "\"}");
            System.out.flush();
        } finally {
            pool.shutdownNow();
            transport.close();
        }
    }
}
