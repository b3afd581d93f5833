package dev.sluice.contracts.job;

import dev.sluice.contracts.EventType;

import java.time.Instant;

/**
 * {@code scontrol release}: a held job may run again. Submit lets the owner release only their own hold; an
 * administrator's release ({@code admin}) lifts either.
 */
@EventType("sluice.job.release-requested.v1")
public record JobReleaseRequested(long jobId, String requestedBy, boolean admin, Instant time) implements JobCommand {
}
