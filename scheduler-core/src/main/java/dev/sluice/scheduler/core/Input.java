package dev.sluice.scheduler.core;

import java.time.Instant;
import java.util.Collection;
import java.util.List;

/** Everything that can happen to the scheduler. */
public sealed interface Input {

    /**
     * @param jobId     the job's id; for an array ({@code request.array()} set) the array job id, the first of a
     *                  block of ids submit reserved: the task with index i gets {@code jobId + position of i among
     *                  the array's task ids} ({@link ArraySpec#jobIdOf})
     * @param partition null for the default partition; {@code a,b} runs in whichever can start it first
     * @param groups    the user's Unix groups, for AllowGroups; null is "not known": AllowGroups is not checked
     */
    record Submit(long jobId, String user, String partition, JobRequest request, Instant submitTime,
                  List<String> groups) implements Input {
        public Submit(long jobId, String user, String partition, JobRequest request, Instant submitTime) {
            this(jobId, user, partition, request, submitTime, null);
        }
    }

    /**
     * scancel of a job id: a single job, or, when {@code jobId} is an array job id, every task of that array
     * (pending ones and running ones).
     */
    record Cancel(long jobId) implements Input {
    }

    /** {@code scancel 42_7}: one task of an array, pending or running. */
    record CancelTask(long arrayJobId, int taskId) implements Input {
    }

    /**
     * scontrol requeue ({@code hold} false) / requeuehold (true): a running job ends its processes (Signal
     * REQUEUED), goes RUNNING -> REQUEUED -> PENDING keeping its id, and is eligible again after Slurm's requeue
     * delay (reason {@code BeginTime} until then), or held ({@code JobHeldAdmin}) for requeuehold. Refused with
     * {@link Decision.Rejected} in Slurm's words for a pending job ({@code Job is pending execution}), a
     * {@code --no-requeue} job ({@code Requested operation is presently disabled}) or an unknown one.
     */
    record Requeue(long jobId, boolean hold) implements Input {
    }

    /**
     * scontrol update JobId=...: the non-null fields change. {@code admin} says whether an operator asked: a user
     * may only lower a time limit, raise nice and change the partition of a pending job; anything else comes back
     * as {@link Decision.Rejected} with Slurm's message.
     *
     * @param timeLimitMinutes new limit in minutes (0: unlimited)
     * @param partition        a pending job's new partition (or list)
     * @param priority         an administrator's fixed priority; 0 holds the job ({@code JobHeldAdmin})
     */
    record Update(long jobId, boolean admin, Integer timeLimitMinutes, String partition, Integer nice,
                  Long priority) implements Input {
    }

    /** scontrol update NodeName=... State=DOWN Reason=...: its jobs end NODE_FAIL, or requeue with --requeue. */
    record Down(String node, String reason) implements Input {
    }

    /**
     * @param runningJobs jobs whose processes the agent found still alive at its start
     * @param address     where the node's agent listens ({@code host:port} or a URL), for srun; null if unknown
     */
    record NodeRegistered(String node, String bootId, List<Integer> cpuIds, long memoryMb,
                          Collection<Long> runningJobs, String address) implements Input {
        public NodeRegistered(String node, String bootId, List<Integer> cpuIds, long memoryMb,
                              Collection<Long> runningJobs) {
            this(node, bootId, cpuIds, memoryMb, runningJobs, null);
        }
    }

    record Heartbeat(String node) implements Input {
    }

    /**
     * @param state how the step ended, as a job state
     * @param node  the node that reports it, or null where unknown: a batch end from a node the job does not run
     *              on (a stale run killed after a requeue moved the job elsewhere) is ignored
     */
    record StepFinished(long jobId, String stepId, JobState state, int exitCode, int signal, String detail,
                        String node) implements Input {
        public StepFinished(long jobId, String stepId, JobState state, int exitCode, int signal, String detail) {
            this(jobId, stepId, state, exitCode, signal, detail, null);
        }
    }

    /** scontrol update State=DRAIN: DRAINING while jobs run there, then DRAINED; nothing new starts there. */
    record Drain(String node, String reason) implements Input {
    }

    record Resume(String node) implements Input {
    }

    /** Accounting published associations, QoS or usage: priorities and limits follow from now on. */
    record PolicyChanged(Policy policy) implements Input {
    }

    /** The cluster description changed (scontrol reconfigure): running and pending jobs stay. */
    record Reconfigure(dev.sluice.scheduler.core.config.ClusterConfig config) implements Input {
    }

    /** scontrol hold (admin true) or a {@code --hold} submission (admin false). */
    record Hold(long jobId, boolean admin) implements Input {
    }

    record Release(long jobId) implements Input {
    }

    /** Time passed: check heartbeats. */
    record Tick() implements Input {
    }
}
