package dev.sluice.contracts.job;

import dev.sluice.contracts.Event;

/** Requests about a job, written by submit to {@code sluice.job.commands}, keyed by job id. */
public sealed interface JobCommand extends Event permits JobSubmitted, JobCancelRequested, JobHoldRequested,
        JobReleaseRequested, JobRequeueRequested, JobUpdateRequested {
    long jobId();

    @Override
    default String key() {
        return Long.toString(jobId());
    }
}
