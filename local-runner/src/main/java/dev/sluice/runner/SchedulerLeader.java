package dev.sluice.runner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * What a scheduler instance says of the leader election ({@code GET /api/v1/scheduler/leader}).
 *
 * @param role       ACTIVE, STANDBY or JOINING
 * @param ready      active with its state rebuilt, or a standby that joined the election
 * @param scheduling active with its state rebuilt
 * @param active     the instance the election made active, as this one sees it (null if none)
 */
public record SchedulerLeader(String instance, String role, boolean ready, boolean scheduling, String active) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public boolean isActive() {
        return "ACTIVE".equals(role) && scheduling;
    }

    public static Optional<SchedulerLeader> query(HttpClient http, int port) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/api/v1/scheduler/leader"))
                    .timeout(Duration.ofSeconds(3)).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return Optional.empty();
            }
            JsonNode n = JSON.readTree(r.body());
            return Optional.of(new SchedulerLeader(n.path("instance").asText(null), n.path("role").asText(""),
                    n.path("ready").asBoolean(false), n.path("scheduling").asBoolean(false),
                    n.path("active").isNull() ? null : n.path("active").asText(null)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
