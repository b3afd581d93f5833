package dev.sluice.contracts.node;

import dev.sluice.contracts.EventType;
import dev.sluice.contracts.job.JobSpec;
import dev.sluice.contracts.job.NodeAllocation;
import dev.sluice.contracts.job.Owner;

import java.time.Instant;
import java.util.List;

/**
 * Start a job's batch script on {@code node}, the first node of its allocation. The full allocation is given so
 * that the script's environment ({@code SLURM_JOB_NODELIST}, ...) can describe all of it.
 *
 * @param timeLimitMinutes the effective limit the scheduler settled on (never null)
 * @param arrayJobId       for an array task, the array job id ({@code SLURM_ARRAY_JOB_ID}, {@code %A}); else null.
 *                         {@code spec} is then the array's, with {@code spec.array()} its {@code --array}
 * @param arrayTaskId      for an array task, its index ({@code SLURM_ARRAY_TASK_ID}, {@code %a}); else null
 */
@EventType("sluice.node.launch-requested.v1")
public record LaunchRequested(String node, long jobId, Instant time, Owner owner, JobSpec spec,
                              List<NodeAllocation> allocation, int timeLimitMinutes, String clusterName,
                              Long arrayJobId, Integer arrayTaskId)
        implements NodeCommand {

    public LaunchRequested(String node, long jobId, Instant time, Owner owner, JobSpec spec,
                           List<NodeAllocation> allocation, int timeLimitMinutes, String clusterName) {
        this(node, jobId, time, owner, spec, allocation, timeLimitMinutes, clusterName, null, null);
    }
}
