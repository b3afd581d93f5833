package dev.sluice.contracts.job;

import dev.sluice.contracts.EventType;

import java.time.Instant;
import java.util.List;

/** The scheduler gave a job these resources; they stay its own until the job ends. */
@EventType("sluice.job.allocation-granted.v1")
public record AllocationGranted(long jobId, Instant time, List<NodeAllocation> nodes) implements JobEvent {
}
