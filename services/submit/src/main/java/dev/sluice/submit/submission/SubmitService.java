package dev.sluice.submit.submission;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.sluice.contracts.cloudevents.Json;
import dev.sluice.contracts.job.JobHoldRequested;
import dev.sluice.contracts.job.JobSubmitted;
import dev.sluice.scheduler.core.config.ClusterConfig;
import dev.sluice.submit.events.EventPublisher;
import dev.sluice.submit.listing.JobStore;
import dev.sluice.submit.web.ApiException;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** Accepts a job: checks it, gives it an id, and puts JobSubmitted on Kafka before anyone is told. */
@ApplicationScoped
public class SubmitService {
    private static final Logger LOG = Logger.getLogger(SubmitService.class);
    private static final ObjectMapper REQUESTS = Json.MAPPER.copy()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final JobRequestReader reader;
    private final JobStore store;
    private final EventPublisher publisher;
    @jakarta.inject.Inject
    dev.sluice.submit.access.SubmitAccess access;
    @jakarta.inject.Inject
    JobIds ids;

    public SubmitService(ClusterConfig cluster, JobStore store, EventPublisher publisher) {
        this.reader = new JobRequestReader(cluster);
        this.store = store;
        this.publisher = publisher;
    }

    public static SubmitRequest parseBody(String body) {
        if (body == null || body.isBlank()) {
            throw ApiException.badRequest("Malformed JSON body: the request body is empty");
        }
        try {
            SubmitRequest req = REQUESTS.readValue(body, SubmitRequest.class);
            if (req == null) {
                throw ApiException.badRequest("Malformed JSON body: expected a JSON object");
            }
            return req;
        } catch (UnrecognizedPropertyException e) {
            throw ApiException.badRequest("Unknown field \"" + e.getPropertyName() + "\" in the job request");
        } catch (MismatchedInputException e) {
            String field = e.getPath().isEmpty() ? null : e.getPath().getLast().getFieldName();
            throw ApiException.badRequest(field == null
                    ? "Malformed JSON body: expected a JSON object"
                    : "Invalid value for field \"" + field + "\" in the job request");
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("Malformed JSON body: " + e.getOriginalMessage());
        }
    }

    /**
     * Returns the new job's id once its JobSubmitted is acknowledged by Kafka; for an array, the array job id (the
     * first of the block of ids its tasks run under), which is what sbatch prints.
     */
    public long submit(SubmitRequest request) {
        JobRequestReader.Accepted job = access.admit(reader.read(request));
        int size = JobRequestReader.arraySize(job.spec());
        long jobId = size == 1 && job.spec().array() == null ? store.nextJobId() : ids.reserve(size);
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        JobSubmitted event = new JobSubmitted(jobId, now, job.owner(), job.spec());
        publisher.publish(event, "job-submitted-" + jobId);
        if (Boolean.TRUE.equals(job.spec().hold())) {
            // --hold: the owner's hold (JobHeldUser), keyed like the submission so it follows it on the partition.
            publisher.publish(new JobHoldRequested(jobId, job.owner().user(), false, now), "job-hold-submit-" + jobId);
        }
        try {
            store.recordSubmitted(event);
        } catch (RuntimeException e) {
            // The job is on Kafka, so it exists; the consumer adds it to the listing when it reads it back.
            LOG.warnf("Job %d accepted but not yet in the read model: %s", jobId, e.toString());
        }
        return jobId;
    }
}
