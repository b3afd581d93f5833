package dev.sluice.identity.api;

import dev.sluice.auth.Requires;
import dev.sluice.auth.Role;
import dev.sluice.identity.sync.IdentityService;
import dev.sluice.identity.sync.SyncFailedException;
import dev.sluice.identity.sync.SyncReport;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * {@code POST /api/v1/identity/sync[?dryRun=true]} runs a sync now (an administrator's action) and answers its
 * report; {@code GET} answers the last real sync's report.
 */
@Path("/api/v1/identity/sync")
@Produces(MediaType.APPLICATION_JSON)
public class SyncResource {
    @Inject
    IdentityService service;

    @POST
    @Requires(Role.ADMIN)
    public SyncReport sync(@QueryParam("dryRun") @DefaultValue("false") boolean dryRun) throws SyncFailedException {
        return service.engine().run(dryRun);
    }

    @GET
    @Requires(Role.OPERATOR)
    public Response last() {
        SyncReport r = service.engine().lastReport();
        return r == null ? Response.status(404).entity(new ErrorBody("no sync has run since identity started")).build()
                : Response.ok(r).build();
    }

    @ServerExceptionMapper
    public Response failed(SyncFailedException e) {
        int status = switch (e.reason()) {
            case INVALID -> 422;
            case NOT_CONFIGURED -> 409;
            case LDAP_UNAVAILABLE, PUBLISH_FAILED -> 503;
        };
        return Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(new ErrorBody(e.getMessage(), e.problems())).build();
    }
}
