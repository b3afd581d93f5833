package dev.sluice.scheduler.standby;

import dev.sluice.scheduler.loop.SchedulerRuntime;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.util.Map;

/**
 * A standby holds no scheduling state (it rebuilds it only when it takes over), so its views of jobs, nodes and
 * partitions would be empty or stale: every {@code /api/v1} request but the leader endpoint gets a 503 naming the
 * active instance instead.
 */
public class StandbyFilter {
    @Inject
    SchedulerRuntime runtime;

    @ServerRequestFilter(priority = jakarta.ws.rs.Priorities.USER)
    public Response standby(ContainerRequestContext request) {
        LeaderElection e = runtime.election();
        if (e == null || e.role() != LeaderElection.Role.STANDBY) {
            return null;
        }
        String path = request.getUriInfo().getPath();
        if (!path.startsWith("/api/v1/") || path.startsWith("/api/v1/scheduler/leader")) {
            return null;
        }
        String active = e.status().active().orElse("unknown");
        return Response.status(503).type(MediaType.APPLICATION_JSON)
                .entity(Map.of("error", "this scheduler instance (" + e.instanceId()
                        + ") is the standby; the active one is " + active))
                .build();
    }
}
