package dev.sluice.contracts.job;

import dev.sluice.contracts.EventType;

import java.time.Instant;

/** A user or operator asked for a job to be cancelled ({@code scancel}); the scheduler decides what follows. */
@EventType("sluice.job.cancel-requested.v1")
public record JobCancelRequested(long jobId, String requestedBy, Instant time) implements JobCommand {
}
