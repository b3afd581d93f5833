package dev.sluice.scheduler.core;

import java.time.Instant;
import java.util.List;

/** What the scheduler decided in answer to its inputs, in the order it happened. */
public sealed interface Decision {

    /** A job changed state, or stayed pending with a new reason. {@code previous} is null for a job's first. */
    record StateChanged(long jobId, long version, JobState previous, JobState state, Reason reason, String detail,
                        Instant time, Integer exitCode, Integer signal, List<String> nodes) implements Decision {
    }

    record AllocationGranted(long jobId, Instant time, List<NodeShare> shares) implements Decision {
    }

    /** Start the batch script on {@code node}; {@code timeLimitMinutes} 0 means unlimited, as in sbatch. */
    record Launch(String node, long jobId, Instant time, List<NodeShare> allocation, int timeLimitMinutes)
            implements Decision {
    }

    /** End the job's processes on {@code node}: {@code reason} is CANCELLED, TIMEOUT or NODE_FAIL. */
    record Signal(String node, long jobId, Instant time, String reason, int killWaitSeconds) implements Decision {
    }

    /** The job's record changed: persist it. Comes after the events, once per job and call. */
    record JobSaved(Job job) implements Decision {
    }

    /** The job ended and the scheduler forgot it: drop its persisted record. */
    record JobForgotten(long jobId) implements Decision {
    }

    /** The node's record changed: persist it. */
    record NodeSaved(Node node) implements Decision {
    }
}
