package dev.sluice.scheduler.standby;

import dev.sluice.scheduler.loop.SchedulerRuntime;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code GET /api/v1/scheduler/leader}: which scheduler instance is active. Any instance answers, the standby
 * included, from the group coordinator's view of the election.
 */
@Path("/api/v1/scheduler/leader")
@Produces(MediaType.APPLICATION_JSON)
public class LeaderResource {
    @Inject
    SchedulerRuntime runtime;

    @GET
    public Response leader() {
        LeaderElection election = runtime.election();
        if (election == null) {
            return Response.status(503).entity(Map.of("error", "the scheduler is starting")).build();
        }
        LeaderElection.Status s = election.status();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("instance", s.instanceId());
        body.put("role", s.role().name());
        body.put("active", s.active().orElse(null));
        body.put("instances", s.members());
        body.put("since", s.since().map(Object::toString).orElse(null));
        body.put("terms", s.terms());
        // active and done rebuilding its state, or a joined standby: what the local runner waits for
        body.put("scheduling", runtime.scheduling());
        body.put("ready", runtime.scheduling() || s.role() == LeaderElection.Role.STANDBY);
        return Response.ok(body).build();
    }
}
