package io.crossdial.cli;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Option;

/**
 * {@code --metrics-port N [--metrics-host H]}: serves the host's meters in the Prometheus text format at
 * {@code http://H:N/metrics} (JDK {@code com.sun.net.httpserver}, one thread). Names: specs/metrics.md.
 */
final class MetricsOptions implements AutoCloseable {
    @Option(names = "--metrics-port", paramLabel = "N",
            description = "Serve Prometheus metrics at http://HOST:N/metrics (0 = a free port); default: off")
    Integer metricsPort;

    @Option(names = "--metrics-host", paramLabel = "HOST",
            description = "Address the metrics endpoint binds; default 127.0.0.1")
    String metricsHost = "127.0.0.1";

    private PrometheusMeterRegistry registry;
    private HttpServer server;

    /** @return the registry to give the host, or null when {@code --metrics-port} is not set */
    PrometheusMeterRegistry registry() {
        if (metricsPort == null) {
            return null;
        }
        if (registry == null) {
            registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        }
        return registry;
    }

    /**
     * Starts the endpoint when {@code --metrics-port} is set.
     *
     * @return the bound port, or -1 when off
     * @throws CliException when the port cannot be bound
     */
    int start() {
        PrometheusMeterRegistry r = registry();
        if (r == null) {
            return -1;
        }
        if (metricsPort < 0 || metricsPort > 65535) {
            throw new CliException("--metrics-port must be 0..65535: " + metricsPort, 2, null);
        }
        try {
            server = HttpServer.create(new InetSocketAddress(metricsHost, metricsPort), 16);
        } catch (IOException e) {
            throw new CliException("cannot serve metrics on " + metricsHost + ":" + metricsPort + ": " + e.getMessage(),
                    1, e);
        }
        server.createContext("/metrics", exchange -> {
            try (exchange) {
                if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
                    exchange.sendResponseHeaders(405, -1);
                    return;
                }
                byte[] body = r.scrape().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                boolean head = exchange.getRequestMethod().equals("HEAD");
                exchange.sendResponseHeaders(200, head ? -1 : body.length);
                if (!head) {
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(body);
                    }
                }
            }
        });
        server.start();
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
    }
}
