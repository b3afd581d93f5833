package dev.sluice.nodeagent.step;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.contracts.cloudevents.Json;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.step.Usage;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Starts other nodes' shares through their agents: {@code POST /api/v1/internal/jobs/{id}/steps/{step}/part} with
 * the job token, answered by an NDJSON stream of {@code out}, {@code err}, {@code exit}, {@code abort} and a final
 * {@code part} line. Closing that connection kills the share (as srun's disconnect does for the whole step).
 */
public final class HttpRemoteAgents implements RemoteAgents {
    private static final Logger LOG = Logger.getLogger(HttpRemoteAgents.class);
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final Function<String, Optional<String>> addresses;

    /** @param addresses node name to its agent's {@code host:port} */
    public HttpRemoteAgents(Function<String, Optional<String>> addresses) {
        this.addresses = addresses;
    }

    @Override
    public RemotePart start(String node, PartSpec spec, String token, StepListener listener) throws StepRejected {
        String address = addresses.apply(node).orElseThrow(() -> StepRejected.unable(spec.jobId(),
                "the node agent of " + node + " is unknown (no NodeRegistered seen)"));
        String base = "http://" + address + "/api/v1/";
        HttpRequest request;
        try {
            request = HttpRequest.newBuilder(URI.create(base + "internal/jobs/" + spec.jobId() + "/steps/"
                            + spec.stepId() + "/part"))
                    .header("Content-Type", "application/json")
                    .header("X-Sluice-Job-Token", token == null ? "" : token)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(Json.MAPPER.writeValueAsBytes(spec)))
                    .build();
        } catch (IOException e) {
            throw StepRejected.unable(spec.jobId(), e.getMessage());
        }
        HttpResponse<Stream<String>> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofLines());
        } catch (IOException e) {
            throw StepRejected.unable(spec.jobId(), "cannot reach the node agent of " + node + " at " + address + ": "
                    + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StepRejected.unable(spec.jobId(), "interrupted");
        }
        if (response.statusCode() != 200) {
            String body = response.body().collect(Collectors.joining("\n"));
            String message = body;
            try {
                message = Json.MAPPER.readTree(body).path("error").asText(body);
            } catch (IOException ignored) {
                // not JSON: say it as it came
            }
            throw new StepRejected(response.statusCode(), message);
        }
        Stream<String> lines = response.body();
        AtomicBoolean ended = new AtomicBoolean();
        Thread reader = new Thread(() -> {
            try {
                lines.forEach(line -> {
                    if (!line.isBlank()) {
                        dispatch(line, listener, ended);
                    }
                });
            } catch (RuntimeException e) {
                LOG.debugf("Stream of %s's share ended: %s", node, e.toString());
            } finally {
                if (ended.compareAndSet(false, true)) {
                    listener.abort("lost the node agent of " + node + " while the step ran");
                    listener.ended(new StepListener.PartResult(node, JobState.FAILED, 1, 0, Usage.NONE,
                            "lost the node agent of " + node));
                }
            }
        }, "sluice-step-remote-" + node);
        reader.setDaemon(true);
        reader.start();
        return new RemotePart() {
            @Override
            public void signal(String sig) {
                post(base + "jobs/" + spec.jobId() + "/steps/" + spec.stepId() + "/signal?signal=" + sig, token);
            }

            @Override
            public void cancel(String state) {
                post(base + "jobs/" + spec.jobId() + "/steps/" + spec.stepId() + "/signal?signal=KILL&cancel="
                        + state, token);
            }
        };
    }

    private void post(String uri, String token) {
        HttpRequest r = HttpRequest.newBuilder(URI.create(uri)).header("X-Sluice-Job-Token", token == null ? "" : token)
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build();
        client.sendAsync(r, HttpResponse.BodyHandlers.discarding()).whenComplete((resp, e) -> {
            if (e != null) {
                LOG.warnf("Signal %s not delivered: %s", uri, e.toString());
            }
        });
    }

    private static void dispatch(String line, StepListener listener, AtomicBoolean ended) {
        JsonNode e;
        try {
            e = Json.MAPPER.readTree(line);
        } catch (IOException ex) {
            return;
        }
        switch (e.path("type").asText()) {
            case "out" -> listener.output(e.path("task").asInt(), false, e.path("data").asText());
            case "err" -> listener.output(e.path("task").asInt(), true, e.path("data").asText());
            case "exit" -> listener.exit(e.path("task").asInt(), e.path("node").asText(), e.path("exitCode").asInt(),
                    e.path("signal").asInt());
            case "abort" -> listener.abort(e.path("detail").asText());
            case "part" -> {
                if (ended.compareAndSet(false, true)) {
                    JsonNode u = e.path("usage");
                    listener.ended(new StepListener.PartResult(e.path("node").asText(),
                            JobState.parse(e.path("state").asText()), e.path("exitCode").asInt(),
                            e.path("signal").asInt(), new Usage(u.path("cpuUserMs").asLong(),
                            u.path("cpuSystemMs").asLong(), u.path("maxRssKb").asLong()),
                            e.path("detail").isNull() ? null : e.path("detail").asText()));
                }
            }
            default -> {
            }
        }
    }
}
