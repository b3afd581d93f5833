package dev.sluice.cli.scontrol;

import com.sun.net.httpserver.HttpServer;
import dev.sluice.cli.Main;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A real HTTP server on loopback playing the scheduler and submit services at once, answering by method and path
 * (query ignored), so a command that reads nodes and partitions, or a job from both services, can be tested.
 */
public final class FakeServices implements AutoCloseable {
    public record Request(String method, String pathAndQuery, String body) {
    }

    public record Result(int rc, String out, String err) {
    }

    record Answer(int status, String body) {
    }

    public static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");

    private final HttpServer server;
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    public final ConcurrentLinkedQueue<Request> requests = new ConcurrentLinkedQueue<>();
    public Identity identity = new Identity("alice", 1000, 1000);
    /** Where the command finds the scheduler: this server unless a test plays it with another one. */
    public URI schedulerUrl;

    public FakeServices() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            String reqBody = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            requests.add(new Request(ex.getRequestMethod(), ex.getRequestURI().toString(), reqBody));
            Answer a = answers.getOrDefault(ex.getRequestMethod() + " " + ex.getRequestURI().getPath(),
                    new Answer(404, ""));
            byte[] bytes = a.body().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(a.status(), bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                ex.getResponseBody().write(bytes);
            }
            ex.close();
        });
        server.start();
    }

    public FakeServices on(String method, String path, int status, String body) {
        answers.put(method + " " + path, new Answer(status, body));
        return this;
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    public Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Context ctx = new Context(new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of("HOME", "/home/alice", "SLUICE_SCHEDULER_URL",
                        (schedulerUrl == null ? url() : schedulerUrl).toString()), Path.of("/tmp"), identity,
                new Endpoints(url(), url()), Clock.fixed(NOW, ZoneOffset.UTC), ZoneId.of("UTC"));
        int rc = Main.run(ctx, args);
        return new Result(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    public List<Request> requestList() {
        return new ArrayList<>(requests);
    }

    /** The non-GET requests, as "METHOD path body". */
    public List<String> writes() {
        return requests.stream().filter(r -> !r.method().equals("GET"))
                .map(r -> r.method() + " " + r.pathAndQuery() + " " + r.body()).toList();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
