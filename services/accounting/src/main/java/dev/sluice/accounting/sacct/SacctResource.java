package dev.sluice.accounting.sacct;

import dev.sluice.accounting.api.BadRequestException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;

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
    private static final Logger LOG = Logger.getLogger(SacctResource.class);
    /** Slower than sacct's target: logged at INFO with the stages, so a slow answer explains itself. */
    private static final double SLOW_MS = 200;

    @Inject
    SacctService service;

    @Inject
    dev.sluice.auth.Callers callers;

    Clock clock = Clock.systemDefaultZone();

    @Inject
    ObjectMapper json;

    @GET
    public Response sacct(@QueryParam("jobs") String jobs, @QueryParam("user") String user,
                                        @QueryParam("account") String account,
                                        @QueryParam("partition") String partition,
                                        @QueryParam("state") String state, @QueryParam("start") String start,
                                        @QueryParam("end") String end, @QueryParam("allUsers") String allUsers) {
        SacctTiming timing = new SacctTiming(System.nanoTime());
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
        timing.mark("parse");
        // a plain (non-Uni) method runs on a worker thread, where the blocking JDBC read belongs
        List<SacctRecord> records = service.find(q, now.toInstant(), timing);
        {
            byte[] body;
            try {
                // written here rather than by the REST layer so that the JSON's cost shows in Server-Timing
                body = json.writeValueAsBytes(records);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
            timing.mark("json");
            if (timing.totalMillis() > SLOW_MS) {
                LOG.infof("sacct %s: %d jobs, %s", q, records.size(), timing.header());
            } else if (LOG.isDebugEnabled()) {
                LOG.debugf("sacct %s: %d jobs, %s", q, records.size(), timing.header());
            }
            return Response.ok(body, MediaType.APPLICATION_JSON_TYPE).header("Server-Timing", timing.header())
                    .build();
        }
    }
}
