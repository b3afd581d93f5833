package dev.sluice.contracts.job;

import dev.sluice.contracts.EventType;

import java.time.Instant;

/**
 * {@code scontrol requeue} ({@code hold} false) or {@code scontrol requeuehold} ({@code hold} true): a running job
 * is stopped and goes back to PENDING (through REQUEUED), held when asked.
 */
@EventType("sluice.job.requeue-requested.v1")
public record JobRequeueRequested(long jobId, String requestedBy, boolean hold, Instant time) implements JobCommand {
}
