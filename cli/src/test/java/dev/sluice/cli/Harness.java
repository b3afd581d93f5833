package dev.sluice.cli;

import com.sun.net.httpserver.HttpServer;
import dev.sluice.cli.common.Context;
import dev.sluice.cli.common.Endpoints;
import dev.sluice.cli.common.Identity;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Runs a command in-process against a real HTTP server on loopback that plays the service: it records each request
 * and answers with the status and body the test chose.
 */
public final class Harness implements AutoCloseable {
    public record Request(String method, String pathAndQuery, String body) {
    }

    public record Result(int rc, String out, String err) {
    }

    public static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");

    private final HttpServer server;
    public final ConcurrentLinkedQueue<Request> requests = new ConcurrentLinkedQueue<>();
    private volatile int status = 200;
    private volatile String body = "[]";
    public Identity identity = new Identity("alice", 1000, 1000);
    public Path cwd = Path.of("/tmp");
    public String stdin = "";
    public Map<String, String> env = Map.of("HOME", "/home/alice", "PATH", "/usr/bin");

    public Harness() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            String reqBody = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            requests.add(new Request(ex.getRequestMethod(), ex.getRequestURI().toString(), reqBody));
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                ex.getResponseBody().write(bytes);
            }
            ex.close();
        });
        server.start();
    }

    public Harness answer(int status, String body) {
        this.status = status;
        this.body = body;
        return this;
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    public Result run(String... args) {
        return run(new Endpoints(url(), url()), args);
    }

    public Result run(Endpoints endpoints, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Context ctx = new Context(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                env, cwd, identity, endpoints, Clock.fixed(NOW, ZoneOffset.UTC), ZoneId.of("UTC"));
        int rc = Main.run(ctx, args);
        return new Result(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    public List<Request> requestList() {
        return new ArrayList<>(requests);
    }

    /** An address where nothing listens: a port we just bound and released. */
    public static Endpoints nobodyListening() throws IOException {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        URI u = URI.create("http://127.0.0.1:" + port);
        return new Endpoints(u, u);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
