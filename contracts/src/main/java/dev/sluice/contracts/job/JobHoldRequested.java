package dev.sluice.contracts.job;

import dev.sluice.contracts.EventType;

import java.time.Instant;

/**
 * {@code scontrol hold} (admin: only an operator may release it, reason JobHeldAdmin) or {@code scontrol uhold}
 * (the owner's hold, JobHeldUser). Only a pending job can be held; the scheduler ignores it otherwise.
 */
@EventType("sluice.job.hold-requested.v1")
public record JobHoldRequested(long jobId, String requestedBy, boolean admin, Instant time) implements JobCommand {
}
