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
 * @param requeue  true when the node could not start the job because the node is at fault (a failing prolog, a
 *                 node drained by its health check) and the job should go back to PENDING and run elsewhere, as
 *                 Slurm requeues on a prolog failure; null otherwise. {@code state} is then FAILED, so a consumer
 *                 that does not know the flag still ends the job
 */
@EventType("sluice.step.finished.v1")
public record StepFinished(long jobId, String stepId, String node, Instant time, JobState state, int exitCode,
                           int signal, Usage usage, String detail, Boolean requeue) implements StepEvent {

    public StepFinished(long jobId, String stepId, String node, Instant time, JobState state, int exitCode,
                        int signal, Usage usage, String detail) {
        this(jobId, stepId, node, time, state, exitCode, signal, usage, detail, null);
    }

    /** Whether the scheduler should requeue the job rather than end it. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean requeueRequested() {
        return Boolean.TRUE.equals(requeue);
    }
}
