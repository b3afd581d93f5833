package dev.sluice.cli.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.cli.common.Api;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;

/**
 * The CLI's token: {@code SLUICE_TOKEN} from the environment, else the one {@code slogin} cached in
 * {@code ~/.config/sluice/token.json} (mode 0600), refreshed with its refresh token when it has expired.
 */
public final class TokenStore {
    /** Seconds before expiry at which a token counts as expired, so it does not lapse on its way. */
    static final long SKEW = 30;

    private final Map<String, String> env;
    private final Clock clock;

    public TokenStore(Map<String, String> env, Clock clock) {
        this.env = env;
        this.clock = clock;
    }

    public Path file() {
        String xdg = env.get("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg)
                : Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".config");
        return base.resolve("sluice").resolve("token.json");
    }

    /** The bearer token to send, if any. Never throws: without a token the service says what to do. */
    public Optional<String> bearer() {
        String fromEnv = env.get("SLUICE_TOKEN");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Optional.of(fromEnv.strip());
        }
        try {
            Optional<ObjectNode> cached = read();
            if (cached.isEmpty()) {
                return Optional.empty();
            }
            ObjectNode t = cached.get();
            long now = clock.instant().getEpochSecond();
            if (t.path("expires_at").asLong(0) - SKEW > now) {
                return Optional.of(t.path("access_token").asText());
            }
            if (t.hasNonNull("refresh_token") && t.path("refresh_expires_at").asLong(Long.MAX_VALUE) - SKEW > now) {
                Optional<ObjectNode> refreshed = refresh(t);
                if (refreshed.isPresent()) {
                    return Optional.of(refreshed.get().path("access_token").asText());
                }
            }
            // Expired: send it anyway so the service's 401 tells the user to log in again.
            return Optional.ofNullable(t.path("access_token").asText(null));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    public Optional<ObjectNode> read() throws IOException {
        Path f = file();
        if (!Files.isReadable(f)) {
            return Optional.empty();
        }
        JsonNode n = Api.JSON.readTree(f.toFile());
        return n instanceof ObjectNode o ? Optional.of(o) : Optional.empty();
    }

    /**
     * Saves a token endpoint's answer with what a later refresh needs. Written to a 0600 file first and moved
     * into place, so the token is never readable by others, not even for a moment.
     */
    public ObjectNode save(JsonNode tokenResponse, String tokenEndpoint, String clientId) throws IOException {
        long now = clock.instant().getEpochSecond();
        ObjectNode t = Api.JSON.createObjectNode();
        t.put("access_token", tokenResponse.path("access_token").asText());
        if (tokenResponse.hasNonNull("refresh_token")) {
            t.put("refresh_token", tokenResponse.path("refresh_token").asText());
            long refreshIn = tokenResponse.path("refresh_expires_in").asLong(0);
            if (refreshIn > 0) {
                t.put("refresh_expires_at", now + refreshIn);
            }
        }
        t.put("expires_at", now + tokenResponse.path("expires_in").asLong(60));
        t.put("token_endpoint", tokenEndpoint);
        t.put("client_id", clientId);
        Path f = file();
        Path dir = Files.createDirectories(f.getParent());
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system: the file's own mode below is what matters
        }
        Path tmp = Files.createTempFile(dir, "token", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, Api.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(t));
        Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return t;
    }

    public boolean delete() throws IOException {
        return Files.deleteIfExists(file());
    }

    private Optional<ObjectNode> refresh(ObjectNode cached) throws IOException {
        String endpoint = cached.path("token_endpoint").asText(null);
        String client = cached.path("client_id").asText(null);
        if (endpoint == null || client == null) {
            return Optional.empty();
        }
        HttpResponse<String> r = post(endpoint, Map.of("grant_type", "refresh_token", "client_id", client,
                "refresh_token", cached.path("refresh_token").asText()));
        if (r.statusCode() != 200) {
            return Optional.empty();
        }
        return Optional.of(save(Api.JSON.readTree(r.body()), endpoint, client));
    }

    static HttpResponse<String> post(String url, Map<String, String> form) throws IOException {
        StringJoiner body = new StringJoiner("&");
        form.forEach((k, v) -> body.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(v, StandardCharsets.UTF_8)));
        try {
            return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build().send(
                    HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                            .header("Content-Type", "application/x-www-form-urlencoded")
                            .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
