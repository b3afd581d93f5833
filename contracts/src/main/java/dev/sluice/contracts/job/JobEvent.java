package dev.sluice.contracts.job;

import dev.sluice.contracts.Event;

/** Facts the scheduler decided about a job, on {@code sluice.job.events}, keyed by job id. */
public sealed interface JobEvent extends Event permits JobStateChanged, AllocationGranted {
    long jobId();

    @Override
    default String key() {
        return Long.toString(jobId());
    }
}
