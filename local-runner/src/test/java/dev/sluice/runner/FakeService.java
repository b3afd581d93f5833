package dev.sluice.runner;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.TreeMap;

/**
 * Stands in for a Quarkus service in the runner's tests: a real JVM that answers /q/health/ready on the port the
 * supervisor gives it, and shows the system properties it was started with at /props.
 */
public final class FakeService {
    private FakeService() {
    }

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(System.getProperty("quarkus.http.port"));
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.createContext("/q/health/ready", ex -> {
            byte[] b = "{\"status\":\"UP\"}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.createContext("/props", ex -> {
            StringBuilder sb = new StringBuilder();
            new TreeMap<>(System.getProperties()).forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
            byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
        System.out.println("fake service listening on " + port);
    }
}
