package dev.sluice.contracts.step;

import dev.sluice.contracts.EventType;
import dev.sluice.contracts.job.JobState;

import java.time.Instant;

/**
 * A step ended on a node.
 *
 * @param state    how it ended, in job-state words: COMPLETED, FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL
 * @param exitCode the process's exit code (0 when killed by a signal)
 * @param signal   the signal that killed it, 0 if none
 * @param detail   a human-readable explanation for failures ({@code launch failed: ...}), else null
 */
@EventType("sluice.step.finished.v1")
public record StepFinished(long jobId, String stepId, String node, Instant time, JobState state, int exitCode,
                           int signal, Usage usage, String detail) implements StepEvent {
}
