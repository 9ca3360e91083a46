package io.crossdial.transport.tcp.listen;

import static io.crossdial.transport.tcp.listen.Sockets.ma;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossdial.transport.tcp.ListenerStats;
import io.crossdial.transport.tcp.TcpListener;
import io.crossdial.transport.tcp.TcpTransport;
import io.crossdial.transport.tcp.TcpTransportConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ShardTest {
    // 2,000 connects from one address as fast as the loop goes: no per-address handshake limit, which would close
    // those beyond 64 in flight (HandshakeLimitPerAddressTest covers it)
    private final TcpTransport transport = new TcpTransport(TcpTransportConfig.defaults().withShards(2)
            .withBacklog(8192).withInterfacePollMillis(0).withMaxHandshakesPerAddress(0));

    @AfterEach
    void close() {
        transport.close();
    }

    @Test
    void twoShardsShareOnePortAndSplitTwoThousandConnectsWithinFortySixty() throws Exception {
        Queue<Channel> accepted = Sockets.queue();
        TcpListener listener = transport.listenAll(List.of(ma("/ip4/127.0.0.1/tcp/0")), Sockets.recording(accepted)).get(0);
        assertEquals(2, listener.shardCount());
        int n = 2000;
        for (int i = 0; i < n; i++) {
            new Socket("127.0.0.1", listener.localAddress().getPort()).close();
        }
        Sockets.await(() -> listener.stats().shardAccepts().stream().mapToLong(Long::longValue).sum() == n,
                "all connects accepted");
        ListenerStats stats = listener.stats();
        System.out.println("per-shard accepts of " + n + " connects: " + stats.shardAccepts());
        for (long count : stats.shardAccepts()) {
            assertTrue(count >= n * 40 / 100 && count <= n * 60 / 100, "not within 40/60: " + stats.shardAccepts());
        }
    }

    /**
     * Closes shard 0 while clients connect. Each accepted connection is sent one byte; a client whose
     * connect succeeded but who reads EOF or a reset instead was lost in the closed shard's queue. With
     * net.ipv4.tcp_migrate_req = 1 the kernel moves the queue to shard 1 and nothing may be lost; without
     * it the drain fallback runs and the count is only reported.
     */
    @Test
    void closingAShardDuringAConnectStormLosesNothingWhereTheKernelMigratesRequests() throws Exception {
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
        TcpListener listener = transport.listenAll(List.of(ma("/ip4/127.0.0.1/tcp/0")), greeter).get(0);
        InetSocketAddress to = listener.localAddress();
        int clients = 8;
        int perClient = 250;
        AtomicInteger lost = new AtomicInteger();
        AtomicInteger served = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
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
                    } catch (java.net.ConnectException e) {
                        throw new AssertionError("refused although shard 1 listens", e);
                    } catch (IOException e) {
                        lost.incrementAndGet(); // reset after a completed connect
                    }
                }
                return null;
            }));
        }
        Sockets.await(() -> served.get() > clients * perClient / 4, "a quarter of the storm");
        listener.closeShard(0).await(5, TimeUnit.SECONDS);
        for (Future<?> f : done) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        boolean migrates = TcpListener.kernelMigratesRequests();
        System.out.println("closing shard 0 during " + clients * perClient + " connects: lost " + lost.get()
                + ", served " + served.get() + " (tcp_migrate_req " + (migrates ? "1" : "0/absent") + ", kernel "
                + System.getProperty("os.version") + ")");
        assertEquals(clients * perClient, lost.get() + served.get());
        if (migrates) {
            assertEquals(0, lost.get());
        }
    }
}
