package dev.sluice.submit.web;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.sluice.auth.Caller;
import dev.sluice.auth.Callers;
import dev.sluice.auth.Role;
import dev.sluice.contracts.Event;
import dev.sluice.contracts.job.JobHoldRequested;
import dev.sluice.contracts.job.JobReleaseRequested;
import dev.sluice.contracts.job.JobRequeueRequested;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.JobStateMachine;
import dev.sluice.contracts.job.JobUpdateRequested;
import dev.sluice.scheduler.core.config.ClusterConfig;
import dev.sluice.scheduler.core.config.SlurmTime;
import dev.sluice.submit.events.EventPublisher;
import dev.sluice.submit.listing.JobStore;
import dev.sluice.submit.listing.JobView;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;

/**
 * scontrol's job operations: hold, release, requeue, update. Each checks what Slurm checks against the read model,
 * publishes one job command and answers 202; the scheduler applies it. {@code admin: true} marks an operator's
 * request (an admin hold only an operator may release; raising a time limit, a negative nice, a priority): until
 * authentication is on, the body says so; with it on, the token's user and roles decide ({@link #verified}).
 */
@Path("/api/v1/jobs/{id}")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Blocking
public class JobControlResource {
    static final String DENIED = "Access/permission denied";
    static final String NOT_PENDING = "Job is no longer pending execution";
    static final String FINISHED = "Job/step already completing or completed";

    /** @param hold for requeue: requeuehold */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Control(String user, Boolean admin, Boolean hold) {
        boolean isAdmin() {
            return Boolean.TRUE.equals(admin);
        }
    }

    /** @param timeLimit Slurm's time syntax ({@code 1:00:00}, {@code 2-00:00:00}, {@code UNLIMITED}) */
    public record Update(String user, Boolean admin, String timeLimit, String partition, Integer nice,
                         Long priority) {
        boolean isAdmin() {
            return Boolean.TRUE.equals(admin);
        }
    }

    private final JobStore store;
    private final EventPublisher publisher;
    private final ClusterConfig cluster;
    private final Callers callers;

    public JobControlResource(JobStore store, EventPublisher publisher, ClusterConfig cluster, Callers callers) {
        this.store = store;
        this.publisher = publisher;
        this.cluster = cluster;
        this.callers = callers;
    }

    /**
     * With authentication on, the token decides: the user is the token's, and "admin" needs the operator role
     * (claiming it without the role is refused). Off, the body's claims are believed, as on the open local stack.
     */
    private Control verified(Control c) {
        Caller caller = callers.current();
        if (!caller.authenticated()) {
            return c;
        }
        if (c.isAdmin() && !caller.has(Role.OPERATOR)) {
            throw new ApiException(403, DENIED);
        }
        return new Control(caller.name(), caller.has(Role.OPERATOR), c.hold());
    }

    private Update verified(Update u) {
        Control c = verified(new Control(u.user(), u.admin(), null));
        return new Update(c.user(), c.admin(), u.timeLimit(), u.partition(), u.nice(), u.priority());
    }

    @POST
    @Path("/hold")
    public Response hold(@PathParam("id") String id, Control body) {
        Control c = verified(body == null ? new Control(null, false, false) : body);
        JobView job = mayChange(id, c.user(), c.isAdmin());
        requirePending(job);
        return send(new JobHoldRequested(job.jobId(), who(c.user(), job), c.isAdmin(), Instant.now()),
                "Hold requested for job " + job.jobId());
    }

    @POST
    @Path("/release")
    public Response release(@PathParam("id") String id, Control body) {
        Control c = verified(body == null ? new Control(null, false, false) : body);
        JobView job = mayChange(id, c.user(), c.isAdmin());
        requirePending(job);
        if ("JobHeldAdmin".equals(job.reason()) && !c.isAdmin()) {
            throw new ApiException(403, DENIED);
        }
        return send(new JobReleaseRequested(job.jobId(), who(c.user(), job), c.isAdmin(), Instant.now()),
                "Release requested for job " + job.jobId());
    }

    @POST
    @Path("/requeue")
    public Response requeue(@PathParam("id") String id, Control body) {
        Control c = verified(body == null ? new Control(null, false, false) : body);
        JobView job = mayChange(id, c.user(), c.isAdmin());
        JobState state = JobState.valueOf(job.state());
        if (JobStateMachine.isTerminal(state) || state == JobState.COMPLETING) {
            throw new ApiException(409, FINISHED);
        }
        if (state == JobState.PENDING) {
            throw new ApiException(409, "Job is pending execution");
        }
        return send(new JobRequeueRequested(job.jobId(), who(c.user(), job), Boolean.TRUE.equals(c.hold()),
                Instant.now()), "Requeue requested for job " + job.jobId());
    }

    @PATCH
    public Response update(@PathParam("id") String id, Update u) {
        if (u == null || u.timeLimit() == null && u.partition() == null && u.nice() == null && u.priority() == null) {
            throw ApiException.badRequest("No changes specified");
        }
        u = verified(u);
        JobView job = mayChange(id, u.user(), u.isAdmin());
        JobState state = JobState.valueOf(job.state());
        if (JobStateMachine.isTerminal(state) || state == JobState.COMPLETING) {
            throw new ApiException(409, FINISHED);
        }
        Integer minutes = null;
        if (u.timeLimit() != null) {
            String t = u.timeLimit().strip();
            try {
                minutes = t.equalsIgnoreCase("UNLIMITED") || t.equalsIgnoreCase("INFINITE") ? Integer.valueOf(0)
                        : SlurmTime.parseMinutes(t);
            } catch (RuntimeException e) {
                minutes = null;
            }
            if (minutes == null || minutes < 0) {
                throw ApiException.badRequest("Invalid TimeLimit value");
            }
            // Slurm lets a user only lower a limit; raising it (or lifting it) is an operator's call.
            Integer current = job.timeLimitMinutes();
            boolean raise = current == null || current == 0 || minutes == 0 || minutes > current;
            if (raise && !u.isAdmin()) {
                throw new ApiException(403, DENIED);
            }
        }
        if (u.partition() != null) {
            if (state != JobState.PENDING) {
                throw new ApiException(409, NOT_PENDING);
            }
            boolean known = Arrays.stream(u.partition().split(",")).map(String::strip)
                    .allMatch(p -> cluster.partition(p).isPresent());
            if (!known) {
                throw ApiException.badRequest("Invalid partition name specified");
            }
        }
        if (u.nice() != null) {
            if (Math.abs((long) u.nice()) > 2147483645L) {
                throw ApiException.badRequest("Invalid nice value");
            }
            if (u.nice() < 0 && !u.isAdmin()) {
                throw new ApiException(403, DENIED);
            }
        }
        if (u.priority() != null) {
            if (!u.isAdmin()) {
                throw new ApiException(403, DENIED);
            }
            if (u.priority() < 0) {
                throw ApiException.badRequest("Invalid priority value");
            }
        }
        return send(new JobUpdateRequested(job.jobId(), who(u.user(), job), u.isAdmin(), minutes,
                u.partition() == null ? null : u.partition().strip(), u.nice(), u.priority(), Instant.now()),
                "Update requested for job " + job.jobId());
    }

    private JobView mayChange(String id, String user, boolean admin) {
        JobView job = store.find(jobId(id)).orElseThrow(() -> ApiException.notFound(JobsResource.INVALID_JOB_ID));
        if (!admin && user != null && !user.isBlank() && !user.equals(job.user())) {
            throw new ApiException(403, DENIED);
        }
        return job;
    }

    private static void requirePending(JobView job) {
        JobState state = JobState.valueOf(job.state());
        if (JobStateMachine.isTerminal(state) || state == JobState.COMPLETING) {
            throw new ApiException(409, FINISHED);
        }
        if (state != JobState.PENDING) {
            throw new ApiException(409, NOT_PENDING);
        }
    }

    private static String who(String user, JobView job) {
        return user == null || user.isBlank() ? job.user() : user.strip();
    }

    private Response send(Event event, String message) {
        publisher.publish(event, event.getClass().getSimpleName() + "-" + UUID.randomUUID());
        return Response.status(202).entity(Map.of("message", message)).build();
    }

    private static long jobId(String text) {
        try {
            long id = Long.parseLong(text.strip());
            if (id > 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // same answer as an unknown id
        }
        throw ApiException.badRequest(JobsResource.INVALID_JOB_ID);
    }
}
