package dev.sluice.accounting.sacct;

import dev.sluice.accounting.api.BadRequestException;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.List;

/**
 * {@code GET /api/v1/sacct}: job history with sacct's selection options ({@code -j -u -A -s -S -E -r -a}) as
 * query parameters. Bad parameters answer 400 with sacct's wording. With authentication on, a caller without the
 * operator role sees only their own jobs (Slurm's {@code PrivateData=jobs}).
 */
@Path("/api/v1/sacct")
@Produces(MediaType.APPLICATION_JSON)
public class SacctResource {
    @Inject
    SacctService service;

    @Inject
    dev.sluice.auth.Callers callers;

    Clock clock = Clock.systemDefaultZone();

    @GET
    public Uni<List<SacctRecord>> sacct(@QueryParam("jobs") String jobs, @QueryParam("user") String user,
                                        @QueryParam("account") String account,
                                        @QueryParam("partition") String partition,
                                        @QueryParam("state") String state, @QueryParam("start") String start,
                                        @QueryParam("end") String end, @QueryParam("allUsers") String allUsers) {
        ZonedDateTime now = ZonedDateTime.now(clock);
        dev.sluice.auth.Caller caller = callers.current();
        if (caller.authenticated() && !caller.seesAll()) {
            // Slurm's PrivateData=jobs: a plain user's history is their own, whatever -u or -a asked.
            user = caller.name();
            allUsers = null;
        }
        SacctQuery q;
        try {
            q = SacctQuery.parse(jobs, user, account, partition, state, start, end,
                    allUsers != null && !allUsers.equalsIgnoreCase("false"), now);
        } catch (IllegalArgumentException e) {
            throw new BadRequestException(e.getMessage());
        }
        return service.find(q, now.toInstant());
    }
}
