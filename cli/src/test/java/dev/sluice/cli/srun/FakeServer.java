package dev.sluice.cli.srun;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.sluice.cli.common.Context;
import dev.sluice.cli.common.Endpoints;
import dev.sluice.cli.common.Identity;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;

/**
 * A real HTTP server on loopback that plays the node agent (and submit and the scheduler for srun outside an
 * allocation): each route answers as the test scripts it, streamed answers chunk by chunk as the agent streams.
 */
final class FakeServer implements AutoCloseable {
    record Request(String method, String path, Map<String, String> headers, String body) {
    }

    /** Answers one request; may write a streamed body line by line. */
    @FunctionalInterface
    interface Route {
        void answer(Request req, Reply reply) throws Exception;
    }

    /** The answer being written. */
    static final class Reply {
        private final HttpExchange ex;
        private OutputStream body;

        Reply(HttpExchange ex) {
            this.ex = ex;
        }

        void json(int status, String json) throws IOException {
            byte[] b = json.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
            if (b.length > 0) {
                ex.getResponseBody().write(b);
            }
        }

        /** Starts a chunked NDJSON answer. */
        void startStream(String contentType) throws IOException {
            ex.getResponseHeaders().add("Content-Type", contentType);
            ex.sendResponseHeaders(200, 0);
            body = ex.getResponseBody();
        }

        void line(String json) throws IOException {
            write(json + "\n");
        }

        void write(String text) throws IOException {
            body.write(text.getBytes(StandardCharsets.UTF_8));
            body.flush();
        }
    }

    private final HttpServer server;
    private final Map<String, Route> routes = new java.util.concurrent.ConcurrentHashMap<>();
    final ConcurrentLinkedQueue<Request> requests = new ConcurrentLinkedQueue<>();

    FakeServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", ex -> {
            try (ex) {
                String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                Map<String, String> headers = new LinkedHashMap<>();
                ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v.getFirst()));
                Request req = new Request(ex.getRequestMethod(), ex.getRequestURI().toString(), headers, body);
                requests.add(req);
                // The longest matching prefix wins: /api/v1/jobs/7/output before /api/v1/jobs/7.
                Route route = null;
                int best = -1;
                for (Map.Entry<String, Route> e : routes.entrySet()) {
                    if ((req.method() + " " + req.path()).startsWith(e.getKey()) && e.getKey().length() > best) {
                        route = e.getValue();
                        best = e.getKey().length();
                    }
                }
                Reply reply = new Reply(ex);
                if (route == null) {
                    reply.json(404, "{\"error\":\"no route " + req.method() + " " + req.path() + "\"}");
                    return;
                }
                route.answer(req, reply);
            } catch (Exception e) {
                // The client hung up mid-stream, or the test's route failed: the test's assertions say which.
            }
        });
        server.start();
    }

    /** {@code "POST /api/v1/jobs/42/steps"}: a prefix of method, space and path with query; the longest wins. */
    FakeServer on(String methodAndPathPrefix, Route route) {
        routes.put(methodAndPathPrefix, route);
        return this;
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    String hostPort() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    List<Request> requests(String methodAndPathPrefix) {
        List<Request> out = new ArrayList<>();
        for (Request r : requests) {
            if ((r.method() + " " + r.path()).startsWith(methodAndPathPrefix)) {
                out.add(r);
            }
        }
        return out;
    }

    @Override
    public void close() {
        server.stop(0);
    }

    record Result(int rc, String out, String err) {
    }

    /** Runs srun in-process with this environment and working directory. */
    Result srun(Map<String, String> env, Path cwd, String... args) {
        return srun(new ByteArrayOutputStream(), env, cwd, args);
    }

    /** As above, with the stdout stream the test watches. */
    Result srun(ByteArrayOutputStream out, Map<String, String> env, Path cwd, String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Context ctx = new Context(new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                env, cwd, new Identity("alice", 1000, 1000), new Endpoints(url(), url()),
                // A fixed clock: two Ctrl-C are always "within a second", however slow the machine.
                Clock.fixed(java.time.Instant.parse("2026-11-22T10:00:00Z"), java.time.ZoneOffset.UTC),
                ZoneId.of("UTC"));
        int rc = dev.sluice.cli.Main.run(ctx, prepend("srun", args));
        return new Result(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static String[] prepend(String first, String[] rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }
}
