package dev.sluice.submit.web;

import dev.sluice.contracts.job.JobCancelRequested;
import dev.sluice.contracts.job.JobState;
import dev.sluice.contracts.job.JobStateMachine;
import dev.sluice.submit.events.EventPublisher;
import dev.sluice.submit.listing.JobStore;
import dev.sluice.submit.listing.JobView;
import dev.sluice.submit.submission.SubmitService;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The public job API. Every method blocks on Kafka or the database, so all run on worker threads. */
@Path("/api/v1/jobs")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class JobsResource {
    static final String INVALID_JOB_ID = "Invalid job id specified";

    /** What squeue shows when no state is asked for. */
    static final List<String> ACTIVE_STATES = Arrays.stream(JobState.values())
            .filter(s -> !s.isTerminal()).map(Enum::name).toList();

    private final SubmitService submit;
    private final JobStore store;
    private final EventPublisher publisher;
    @jakarta.inject.Inject
    dev.sluice.auth.Callers callers;

    public JobsResource(SubmitService submit, JobStore store, EventPublisher publisher) {
        this.submit = submit;
        this.store = store;
        this.publisher = publisher;
    }

    @POST
    public Response submit(String body) {
        long jobId = submit.submit(SubmitService.parseBody(body));
        return Response.status(201)
                .entity(Map.of("jobId", jobId, "message", "Submitted batch job " + jobId)).build();
    }

    @GET
    public List<JobView> list(@QueryParam("user") String user, @QueryParam("states") String states,
                              @QueryParam("partition") String partition, @QueryParam("jobs") String jobs) {
        List<Long> ids = jobs == null || jobs.isBlank() ? null : csv(jobs).stream().map(JobsResource::jobId).toList();
        List<String> stateNames;
        if (states == null || states.isBlank()) {
            // As squeue: naming jobs shows them in any state, otherwise only the live ones.
            stateNames = ids == null ? ACTIVE_STATES : null;
        } else if (states.equalsIgnoreCase("all")) {
            stateNames = null;
        } else {
            try {
                stateNames = csv(states).stream().map(s -> JobState.parse(s).name()).toList();
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest(e.getMessage());
            }
        }
        List<String> partitions = partition == null || partition.isBlank() ? null : csv(partition);
        List<String> users = user == null || user.isBlank() ? null : csv(user);
        dev.sluice.auth.Caller caller = callers.current();
        if (!caller.seesAll()) {
            // A user lists only their own jobs; asking for someone else's is refused rather than answered empty.
            if (users != null && users.stream().anyMatch(u -> !u.equals(caller.name()))) {
                throw new dev.sluice.auth.AccessDenied(dev.sluice.auth.Messages.notOwner(caller, "the jobs of " + String.join(",", users)));
            }
            users = List.of(caller.name());
        }
        return store.list(users, stateNames, partitions, ids);
    }

    @GET
    @Path("/{id}")
    public JobView get(@PathParam("id") String id) {
        JobView job = store.find(jobId(id)).orElseThrow(() -> ApiException.notFound(INVALID_JOB_ID));
        mustOwn(job);
        return job;
    }

    private void mustOwn(JobView job) {
        dev.sluice.auth.Caller caller = callers.current();
        if (!caller.mayActOn(job.user())) {
            throw new dev.sluice.auth.AccessDenied(dev.sluice.auth.Messages.notOwner(caller, "job " + job.jobId()));
        }
    }

    @DELETE
    @Path("/{id}")
    public Response cancel(@PathParam("id") String id, @QueryParam("user") String user) {
        JobView job = store.find(jobId(id)).orElseThrow(() -> ApiException.notFound(INVALID_JOB_ID));
        mustOwn(job);
        JobState state = JobState.valueOf(job.state());
        // scancel 42 of an array whose task 42_0 ended still cancels the array's other tasks
        boolean liveArray = job.arrayJobId() != null && job.arrayJobId() == job.jobId() && store.arrayLive(job.jobId());
        if ((JobStateMachine.isTerminal(state) || state == JobState.COMPLETING) && !liveArray) {
            throw new ApiException(409, "Job/step already completing or completed");
        }
        String requestedBy = callers.current().authenticated() ? callers.current().name()
                : user == null || user.isBlank() ? job.user() : user;
        publisher.publish(new JobCancelRequested(job.jobId(), requestedBy, Instant.now()),
                "job-cancel-" + job.jobId() + "-" + UUID.randomUUID());
        return Response.status(202).entity(Map.of("message", "Cancel requested for job " + job.jobId())).build();
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
        throw ApiException.badRequest(INVALID_JOB_ID);
    }

    private static List<String> csv(String text) {
        return Arrays.stream(text.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }
}
