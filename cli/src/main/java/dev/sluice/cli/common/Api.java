package dev.sluice.cli.common;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.StringJoiner;

/** The small REST client every command uses: JSON in and out, and Slurm's words when the service is away. */
public final class Api {
    public static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1)
            .build();

    /** The bearer token sent with every request (SLUICE_TOKEN, or slogin's cache); looked up once, on first use. */
    private final Supplier<Optional<String>> token;
    private Optional<String> resolvedToken;

    public Api() {
        this(() -> new dev.sluice.cli.auth.TokenStore(System.getenv(), java.time.Clock.systemUTC()).bearer());
    }

    public Api(Supplier<Optional<String>> token) {
        this.token = token;
    }

    private synchronized Optional<String> token() {
        if (resolvedToken == null) {
            resolvedToken = token.get();
        }
        return resolvedToken;
    }

    public record Response(int status, String body) {
        public boolean ok() {
            return status / 100 == 2;
        }

        /** The service's {@code {"error": ...}} text, or a plain description when the body is not one. */
        public String error() {
            try {
                JsonNode n = JSON.readTree(body);
                if (n != null && n.hasNonNull("error")) {
                    return n.get("error").asText();
                }
            } catch (IOException | RuntimeException e) {
                // Not JSON: fall through to the status line.
            }
            if (status == 401) {
                return "Authentication required: log in with slogin (or set SLUICE_TOKEN)";
            }
            if (status == 403) {
                return "Access/permission denied";
            }
            return "Unexpected response from service (HTTP " + status + ")";
        }
    }

    /** The service could not be reached at all (nothing listens, or it never answered). */
    public static final class Unreachable extends Exception {
        public Unreachable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    public Response get(URI base, String path, Map<String, String> query) throws Unreachable {
        return send(HttpRequest.newBuilder(withQuery(base, path, query)).GET());
    }

    public Response post(URI base, String path, Object body) throws Unreachable {
        try {
            return send(HttpRequest.newBuilder(withQuery(base, path, Map.of()))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    public Response delete(URI base, String path) throws Unreachable {
        return send(HttpRequest.newBuilder(withQuery(base, path, Map.of())).DELETE());
    }

    private Response send(HttpRequest.Builder request) throws Unreachable {
        try {
            token().ifPresent(t -> request.header("Authorization", "Bearer " + t));
            HttpResponse<String> r = http.send(request.header("Accept", "application/json")
                    .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new Unreachable("Unable to contact slurm controller (connect failure)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unreachable("Interrupted", e);
        }
    }

    static URI withQuery(URI base, String path, Map<String, String> query) {
        StringJoiner q = new StringJoiner("&");
        new LinkedHashMap<>(query).forEach((k, v) -> {
            if (v != null && !v.isEmpty()) {
                q.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8));
            }
        });
        return URI.create(base + path + (q.length() == 0 ? "" : "?" + q));
    }
}
