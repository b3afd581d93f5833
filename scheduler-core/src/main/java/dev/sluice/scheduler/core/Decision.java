package dev.sluice.scheduler.core;

import java.time.Instant;
import java.util.List;

/** What the scheduler decided in answer to its inputs, in the order it happened. */
public sealed interface Decision {

    /** A job changed state, or stayed pending with a new reason. {@code previous} is null for a job's first. */
    /**
     * @param partition  the partition the job is in: for {@code -p a,b} the list while pending, the one it started
     *                   in once running
     * @param arrayJobId for a task of an array (or the array's pending remainder), the array job id; else null
     * @param arrayTaskId the task's index; null for a job that is not an array task and for the pending remainder
     * @param arrayTasks  for the pending remainder of an array, the tasks still pending as squeue writes them
     *                    ({@code [6-15%4]}); else null
     */
    record StateChanged(long jobId, long version, JobState previous, JobState state, Reason reason, String detail,
                        Instant time, Integer exitCode, Integer signal, List<String> nodes, String partition,
                        Long arrayJobId, Integer arrayTaskId, String arrayTasks) implements Decision {
        public StateChanged(long jobId, long version, JobState previous, JobState state, Reason reason,
                            String detail, Instant time, Integer exitCode, Integer signal, List<String> nodes) {
            this(jobId, version, previous, state, reason, detail, time, exitCode, signal, nodes, null, null, null,
                    null);
        }
    }

    /** An Update (or a CancelTask/Requeue) that Slurm would refuse, with Slurm's message; nothing changed. */
    record Rejected(long jobId, Instant time, String message) implements Decision {
    }

    record AllocationGranted(long jobId, Instant time, List<NodeShare> shares) implements Decision {
    }

    /** Start the batch script on {@code node}; {@code timeLimitMinutes} 0 means unlimited, as in sbatch. */
    record Launch(String node, long jobId, Instant time, List<NodeShare> allocation, int timeLimitMinutes)
            implements Decision {
    }

    /** End the job's processes on {@code node}: {@code reason} is CANCELLED, TIMEOUT, NODE_FAIL or REQUEUED. */
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
