package dev.sluice.scheduler.core;

import java.time.Instant;
import java.util.Collection;
import java.util.List;

/** Everything that can happen to the scheduler. */
public sealed interface Input {

    /** @param partition null for the default partition */
    record Submit(long jobId, String user, String partition, JobRequest request, Instant submitTime)
            implements Input {
    }

    record Cancel(long jobId) implements Input {
    }

    /** @param runningJobs jobs whose processes the agent found still alive at its start */
    record NodeRegistered(String node, String bootId, List<Integer> cpuIds, long memoryMb,
                          Collection<Long> runningJobs) implements Input {
    }

    record Heartbeat(String node) implements Input {
    }

    /** @param state how the step ended, as a job state */
    record StepFinished(long jobId, String stepId, JobState state, int exitCode, int signal, String detail)
            implements Input {
    }

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
