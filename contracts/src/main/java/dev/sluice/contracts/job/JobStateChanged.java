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
 */
@EventType("sluice.job.state-changed.v1")
public record JobStateChanged(long jobId, long version, JobState previous, JobState state, String reason,
                              String detail, Instant time, Integer exitCode, Integer signal, String nodes)
        implements JobEvent {
}
