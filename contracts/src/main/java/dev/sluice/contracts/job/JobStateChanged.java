package dev.sluice.contracts.job;

import dev.sluice.contracts.EventType;

import java.time.Instant;

/**
 * A job moved to a new state (or stayed pending with a new reason).
 *
 * @param version  increases by one with every change of this job; read models keep the highest and ignore the rest
 * @param previous null for the first event of a job
 * @param reason   Slurm's pending reason name ({@code Resources}, {@code Priority}, ...) or {@code None}
 * @param exitCode the batch script's exit code once the job ended, else null
 * @param signal   the signal that ended it, 0 if none, null while it runs
 * @param nodes    the hostlist expression of the allocated nodes, null while pending
 * @param arrayJobId  for an array task or an array's pending remainder, the array job id; else null
 * @param arrayTaskId an array task's index ({@code SLURM_ARRAY_TASK_ID}); null for the remainder and other jobs
 * @param arrayTasks  for the pending remainder of an array, the tasks still pending as squeue writes them
 *                    ({@code 5-9%2}); its jobId is the job id of its lowest pending task, so it moves as tasks start
 */
@EventType("sluice.job.state-changed.v1")
public record JobStateChanged(long jobId, long version, JobState previous, JobState state, String reason,
                              String detail, Instant time, Integer exitCode, Integer signal, String nodes,
                              Long arrayJobId, Integer arrayTaskId, String arrayTasks)
        implements JobEvent {

    public JobStateChanged(long jobId, long version, JobState previous, JobState state, String reason,
                           String detail, Instant time, Integer exitCode, Integer signal, String nodes) {
        this(jobId, version, previous, state, reason, detail, time, exitCode, signal, nodes, null, null, null);
    }

    /** squeue's and sacct's JobID: {@code 42_7} for a task, {@code 42_[8-15%2]} for a pending remainder. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public String displayId() {
        if (arrayJobId == null) {
            return Long.toString(jobId);
        }
        if (arrayTaskId != null) {
            return arrayJobId + "_" + arrayTaskId;
        }
        return arrayTasks == null ? Long.toString(jobId) : arrayJobId + "_[" + arrayTasks + "]";
    }
}
