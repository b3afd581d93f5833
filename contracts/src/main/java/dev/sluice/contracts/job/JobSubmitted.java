package dev.sluice.contracts.job;

import dev.sluice.contracts.EventType;

import java.time.Instant;

/** Submit accepted a job and gave it an id. Once this is on Kafka the user has been told so. */
@EventType("sluice.job.submitted.v1")
public record JobSubmitted(long jobId, Instant submitTime, Owner owner, JobSpec spec) implements JobCommand {
}
