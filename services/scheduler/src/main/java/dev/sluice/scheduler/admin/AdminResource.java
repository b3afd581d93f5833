package dev.sluice.scheduler.admin;

import dev.sluice.scheduler.cluster.ClusterSnapshot;
import dev.sluice.scheduler.core.Input;
import dev.sluice.scheduler.core.config.ClusterConfig;
import dev.sluice.scheduler.loop.SchedulerRuntime;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Operator actions, all under {@code /api/v1/admin} so that one role check can guard them: node state
 * ({@code scontrol update NodeName=... State=DRAIN|RESUME Reason=...}) and {@code scontrol reconfigure}. Each
 * answers once the scheduling loop has committed its consequences (a drained node is a state record, so it stays
 * drained across a scheduler restart).
 */
@Path("/api/v1/admin")
@dev.sluice.auth.Requires(dev.sluice.auth.Role.OPERATOR)
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class AdminResource {
    /**
     * @param state DRAIN, RESUME (or UNDRAIN, IDLE)
     * @param user  who asks, as the CLI claims it; believed only with authentication off (else the token's user)
     */
    public record NodeStateRequest(String state, String reason, String user) {
        public NodeStateRequest(String state, String reason) {
            this(state, reason, null);
        }
    }

    @Inject
    SchedulerRuntime runtime;

    @Inject
    ClusterSnapshot snapshot;

    @Inject
    NodeReasons reasons;

    @Inject
    dev.sluice.auth.Callers callers;

    @POST
    @Path("/nodes/{name}/state")
    public Response nodeState(@PathParam("name") String name, NodeStateRequest body) {
        if (body == null || body.state() == null || body.state().isBlank()) {
            return error(400, "Invalid node state specified");
        }
        if (snapshot.view().nodes().stream().noneMatch(n -> n.name().equals(name))) {
            return error(404, "Invalid node name specified");
        }
        String state = body.state().trim().toUpperCase(Locale.ROOT);
        String reason = body.reason() == null || body.reason().isBlank() ? null : body.reason().trim();
        Input input = switch (state) {
            case "DRAIN", "DOWN" -> reason == null ? null : new Input.Drain(name, reason);
            case "RESUME", "UNDRAIN", "IDLE" -> new Input.Resume(name);
            default -> null;
        };
        if (input == null && (state.equals("DRAIN") || state.equals("DOWN"))) {
            return error(400, "You must specify a reason when DOWNING or DRAINING a node. Request denied");
        }
        if (input == null) {
            return error(400, "Invalid node state specified");
        }
        if (state.equals("DOWN")) {
            // its jobs end NODE_FAIL, or are requeued when they asked for --requeue
            input = new Input.Down(name, reason);
        }
        Response answer = run(input, Map.of("message", "Node " + name + " state set to " + state));
        if (answer.getStatus() == 200) {
            if (reason != null && (state.equals("DRAIN") || state.equals("DOWN"))) {
                dev.sluice.auth.Caller caller = callers.current();
                reasons.set(name, reason, caller.authenticated() ? caller.name() : body.user(), Instant.now());
            } else {
                reasons.clear(name);
            }
        }
        return answer;
    }

    @POST
    @Path("/reconfigure")
    @Consumes(MediaType.WILDCARD)
    public Response reconfigure() {
        ClusterConfig next;
        try {
            next = runtime.readClusterConfig();
        } catch (RuntimeException e) {
            return error(400, "Invalid cluster configuration: " + e.getMessage());
        }
        return run(new Input.Reconfigure(next), Map.of("message", "Reconfigured: " + next.partitions().size()
                + " partitions, " + next.nodes().size() + " node lines"));
    }

    private Response run(Input input, Object answer) {
        try {
            runtime.admin(input).get(30, TimeUnit.SECONDS);
            return Response.ok(answer).build();
        } catch (ExecutionException e) {
            return error(503, "Unable to contact slurm controller (connect failure): " + e.getCause().getMessage());
        } catch (TimeoutException e) {
            return error(503, "Unable to contact slurm controller (connect failure): no answer in 30 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return error(503, "interrupted");
        }
    }

    private static Response error(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(Map.of("error", message)).build();
    }
}
