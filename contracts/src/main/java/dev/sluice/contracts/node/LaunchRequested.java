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
 */
@EventType("sluice.node.launch-requested.v1")
public record LaunchRequested(String node, long jobId, Instant time, Owner owner, JobSpec spec,
                              List<NodeAllocation> allocation, int timeLimitMinutes, String clusterName)
        implements NodeCommand {
}
