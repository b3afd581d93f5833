package dev.sluice.nodeagent.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.sluice.contracts.cloudevents.Json;
import dev.sluice.nodeagent.launch.JobSupervisor;
import dev.sluice.nodeagent.launch.JobToken;
import dev.sluice.nodeagent.step.PartRun;
import dev.sluice.nodeagent.step.PartSpec;
import dev.sluice.nodeagent.step.StepCoordinator;
import dev.sluice.nodeagent.step.StepListener;
import dev.sluice.nodeagent.step.StepRejected;
import dev.sluice.nodeagent.step.StepRequest;
import dev.sluice.nodeagent.step.StepService;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The step endpoints of docs/steps.md on Vert.x routes: the response is a live NDJSON stream whose end (or the
 * client's disconnect) matters, which a plain JAX-RS resource hides.
 */
@ApplicationScoped
public class StepRoutes {
    private static final Logger LOG = Logger.getLogger(StepRoutes.class);
    static final String TOKEN_HEADER = "X-Sluice-Job-Token";
    static final String NDJSON = "application/x-ndjson";
    private static final Map<String, String> SIGNAL_NUMBERS = Map.of("1", "HUP", "2", "INT", "9", "KILL", "10", "USR1",
            "12", "USR2", "15", "TERM", "18", "CONT", "19", "STOP", "3", "QUIT");
    private static final Set<String> SIGNALS = Set.of("HUP", "INT", "QUIT", "KILL", "USR1", "USR2", "TERM", "CONT",
            "STOP", "TSTP", "ALRM");

    private final StepService steps;

    public StepRoutes(StepService steps) {
        this.steps = steps;
    }

    void routes(@Observes Router router) {
        router.post("/api/v1/jobs/:jobId/steps").handler(BodyHandler.create()).handler(this::launch);
        router.post("/api/v1/jobs/:jobId/steps/:stepId/signal").handler(this::signal);
        router.get("/api/v1/jobs/:jobId/output").handler(this::output);
        router.post("/api/v1/internal/jobs/:jobId/steps/:stepId/part").handler(BodyHandler.create())
                .handler(this::part);
    }

    static void error(RoutingContext ctx, int status, String message) {
        try {
            ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                    .end(Json.MAPPER.writeValueAsString(Map.of("error", message)));
        } catch (JsonProcessingException e) {
            ctx.response().setStatusCode(500).end();
        }
    }

    /** The job's supervisor if the token is the job's; otherwise the error is sent and null returned. */
    static JobSupervisor authorize(StepService steps, RoutingContext ctx, long jobId) {
        JobSupervisor sup = steps.supervisor().orElse(null);
        if (sup == null) {
            error(ctx, 503, "the node agent is still starting");
            return null;
        }
        var token = sup.context(jobId).map(JobSupervisor.JobContext::token);
        if (token.isEmpty()) {
            error(ctx, 404, "srun: error: Unable to create step for job " + jobId + ": Invalid job id specified");
            return null;
        }
        if (!JobToken.matches(token.get(), ctx.request().getHeader(TOKEN_HEADER))) {
            error(ctx, 403, "srun: error: Unable to create step for job " + jobId
                    + ": Access/permission denied (missing or wrong " + TOKEN_HEADER + ")");
            return null;
        }
        return sup;
    }

    static long id(RoutingContext ctx, String name) {
        try {
            return Long.parseLong(ctx.pathParam(name));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Writes events as NDJSON lines; after close (or a dropped client) it writes nothing. */
    static final class NdjsonStream implements StepCoordinator.Stream {
        private final HttpServerResponse response;
        private boolean headersSent;

        NdjsonStream(HttpServerResponse response) {
            this.response = response;
        }

        @Override
        public synchronized void send(Map<String, Object> event) {
            if (response.ended() || response.closed()) {
                return;
            }
            if (!headersSent) {
                response.setStatusCode(200).setChunked(true).putHeader("Content-Type", NDJSON);
                headersSent = true;
            }
            try {
                response.write(Json.MAPPER.writeValueAsString(event) + "\n");
            } catch (JsonProcessingException | IllegalStateException e) {
                LOG.debugf("Event not written: %s", e.toString());
            }
        }

        @Override
        public synchronized void close() {
            if (!response.ended() && !response.closed()) {
                if (!headersSent) {
                    response.setStatusCode(200).putHeader("Content-Type", NDJSON);
                }
                response.end();
            }
        }
    }

    private void launch(RoutingContext ctx) {
        long jobId = id(ctx, "jobId");
        if (authorize(steps, ctx, jobId) == null) {
            return;
        }
        StepRequest request;
        try {
            request = Json.MAPPER.readValue(ctx.body().buffer().getBytes(), StepRequest.class);
            request.nodes();
        } catch (Exception e) {
            error(ctx, 400, "srun: error: bad step request: " + e.getMessage());
            return;
        }
        HttpServerResponse response = ctx.response();
        NdjsonStream stream = new NdjsonStream(response);
        steps.workers().execute(() -> {
            StepCoordinator coordinator;
            try {
                coordinator = StepCoordinator.create(steps.env(), jobId, request, stream);
            } catch (StepRejected e) {
                ctx.vertx().runOnContext(v -> error(ctx, e.status(), e.getMessage()));
                return;
            } catch (RuntimeException e) {
                LOG.errorf(e, "Step of job %d could not be created", jobId);
                ctx.vertx().runOnContext(v -> error(ctx, 400, "srun: error: Unable to create step for job " + jobId
                        + ": " + e.getMessage()));
                return;
            }
            steps.add(coordinator);
            // srun gone (Ctrl-C twice, killed, network): the step dies with it, as in Slurm
            response.closeHandler(v -> {
                if (!response.ended()) {
                    coordinator.cancel("CANCELLED");
                }
            });
            try {
                coordinator.run();
            } catch (InterruptedException e) {
                coordinator.cancel("CANCELLED");
                Thread.currentThread().interrupt();
            } finally {
                steps.remove(coordinator);
            }
        });
    }

    private void signal(RoutingContext ctx) {
        long jobId = id(ctx, "jobId");
        int stepId = (int) id(ctx, "stepId");
        if (authorize(steps, ctx, jobId) == null) {
            return;
        }
        String sig = ctx.request().getParam("signal", "TERM").toUpperCase().replaceFirst("^SIG", "");
        sig = SIGNAL_NUMBERS.getOrDefault(sig, sig);
        if (!SIGNALS.contains(sig)) {
            error(ctx, 400, "srun: error: Invalid signal " + ctx.request().getParam("signal"));
            return;
        }
        String cancel = ctx.request().getParam("cancel");
        var coordinator = steps.coordinator(jobId, stepId);
        var parts = steps.parts(jobId, stepId);
        if (coordinator.isEmpty() && parts.isEmpty()) {
            error(ctx, 404, "srun: error: Job step " + jobId + "." + stepId + " does not run here");
            return;
        }
        if (coordinator.isPresent()) {
            coordinator.get().signal(sig);
        } else {
            for (PartRun p : parts) {
                if (cancel != null) {
                    p.cancel(cancel);
                } else {
                    p.signal(sig);
                }
            }
        }
        ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json")
                .end("{\"signal\":\"" + sig + "\"}");
    }

    /** A share of a step led by another node's agent. */
    private void part(RoutingContext ctx) {
        long jobId = id(ctx, "jobId");
        JobSupervisor sup = authorize(steps, ctx, jobId);
        if (sup == null) {
            return;
        }
        PartSpec spec;
        try {
            spec = Json.MAPPER.readValue(ctx.body().buffer().getBytes(), PartSpec.class);
        } catch (Exception e) {
            error(ctx, 400, "bad step share: " + e.getMessage());
            return;
        }
        HttpServerResponse response = ctx.response();
        NdjsonStream stream = new NdjsonStream(response);
        steps.workers().execute(() -> {
            PartRun[] self = new PartRun[1];
            StepListener listener = new StepListener() {
                @Override
                public void output(int task, boolean stderr, String data) {
                    stream.send(event("type", stderr ? "err" : "out", "task", task, "data", data));
                }

                @Override
                public void exit(int task, String node, int exitCode, int signal) {
                    stream.send(event("type", "exit", "task", task, "node", node, "exitCode", exitCode,
                            "signal", signal));
                }

                @Override
                public void abort(String detail) {
                    stream.send(event("type", "abort", "detail", detail));
                }

                @Override
                public void ended(PartResult r) {
                    stream.send(event("type", "part", "node", r.node(), "state", r.state().name(), "exitCode",
                            r.exitCode(), "signal", r.signal(), "usage", r.usage(), "detail", r.detail()));
                    stream.close();
                }
            };
            try {
                self[0] = PartRun.start(sup, spec, listener, null, steps.env().physicalCpus(),
                        () -> steps.remove(self[0]), steps.spares());
            } catch (StepRejected e) {
                ctx.vertx().runOnContext(v -> error(ctx, e.status(), e.getMessage()));
                return;
            }
            steps.add(self[0]);
            response.closeHandler(v -> {
                if (!response.ended()) {
                    self[0].cancel("CANCELLED");
                }
            });
            // headers now, so that the leading agent knows the share runs even before its first output
            stream.send(event("type", "running", "node", sup.node()));
        });
    }

    /**
     * The batch script's stdout or stderr of a job submitted by srun outside an allocation: what is there now, and
     * with {@code follow=true} what is written until the job ended.
     */
    private void output(RoutingContext ctx) {
        long jobId = id(ctx, "jobId");
        JobSupervisor sup = steps.supervisor().orElse(null);
        if (sup == null) {
            error(ctx, 503, "the node agent is still starting");
            return;
        }
        var token = sup.jobsToken(jobId);
        if (token.isEmpty()) {
            error(ctx, 404, "srun: error: job " + jobId + " does not run on this node");
            return;
        }
        if (!JobToken.matches(token.get(), ctx.request().getHeader(TOKEN_HEADER))) {
            error(ctx, 403, "srun: error: Access/permission denied for the output of job " + jobId);
            return;
        }
        String stream = ctx.request().getParam("stream", "stdout");
        var file = sup.attachedOutput(jobId, stream);
        if (file.isEmpty()) {
            error(ctx, 404, "job " + jobId + " keeps no " + stream + " here (it was not submitted by srun)");
            return;
        }
        boolean follow = Boolean.parseBoolean(ctx.request().getParam("follow", "false"));
        HttpServerResponse response = ctx.response();
        response.setStatusCode(200).setChunked(true).putHeader("Content-Type", "application/octet-stream");
        steps.workers().execute(() -> {
            byte[] buf = new byte[65536];
            try (var in = java.nio.file.Files.newInputStream(file.get())) {
                while (!response.closed()) {
                    // read "running" before the bytes, so the last bytes written before the end are not missed
                    boolean running = follow && sup.running(jobId);
                    int n;
                    boolean any = false;
                    while ((n = in.read(buf)) > 0) {
                        response.write(io.vertx.core.buffer.Buffer.buffer(java.util.Arrays.copyOf(buf, n)));
                        any = true;
                    }
                    if (!running) {
                        break;
                    }
                    if (!any) {
                        Thread.sleep(100);
                    }
                }
            } catch (IOException | RuntimeException e) {
                LOG.debugf("Output of job %d: %s", jobId, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (!response.ended() && !response.closed()) {
                response.end();
            }
        });
    }

    static Map<String, Object> event(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    static List<String> plugins() {
        return List.of("none", "pmi2", "pmix");
    }
}
