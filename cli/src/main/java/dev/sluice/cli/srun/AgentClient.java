package dev.sluice.cli.srun;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.sluice.cli.common.Api;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * HTTP to a node agent, every request carrying the job token (docs/steps.md). Streams are read as they come:
 * no request timeout, since a step or a job may run for days.
 */
final class AgentClient {
    static final String TOKEN_HEADER = "X-Sluice-Job-Token";

    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .version(HttpClient.Version.HTTP_1_1)
            .build();
    private final URI base;
    private final String token;

    AgentClient(URI base, String token) {
        this.base = base;
        this.token = token;
    }

    URI base() {
        return base;
    }

    /** An agent address as the environment gives it: {@code host:port} or a full URL. */
    static URI address(String hostPort) {
        String a = hostPort.strip().replaceAll("/+$", "");
        return URI.create(a.contains("://") ? a : "http://" + a);
    }

    HttpResponse<InputStream> postStream(String path, Object body) throws IOException, InterruptedException {
        String json;
        try {
            json = Api.JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
        return http.send(request(path).header("Content-Type", "application/json")
                .header("Accept", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    HttpResponse<InputStream> getStream(String path) throws IOException, InterruptedException {
        return http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(request(path).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path) throws IOException, InterruptedException {
        return http.send(request(path).timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
        if (token != null) {
            b.header(TOKEN_HEADER, token);
        }
        return b;
    }

    /** The {@code {"error": ...}} text of an answer, or its status. */
    static String error(int status, String body) {
        return new Api.Response(status, body).error();
    }
}
