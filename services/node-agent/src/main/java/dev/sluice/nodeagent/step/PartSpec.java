package dev.sluice.nodeagent.step;

import java.util.List;
import java.util.Map;

/**
 * One node's share of a step, as the first node's agent hands it to each node (itself included): the internal
 * launch between agents (POST /api/v1/internal/jobs/{id}/steps/{step}/part).
 *
 * @param ranksByNode global ranks of every node of the step, in node order
 * @param tasks       this node's tasks
 * @param env         srun's environment; the node adds the per-task variables
 * @param rlimits     sluice-stepd --rlimit specs every task starts with (the caller's limits)
 * @param pmiLeader   pmi2 on several nodes: node 0's fence address (host:port), else null
 * @param pmiSecret   the fence's secret, with {@code pmiLeader}
 */
public record PartSpec(long jobId, int stepId, int nodeIndex, List<String> stepNodes, List<List<Integer>> ranksByNode,
                       int ntasks, List<TaskLayout.Task> tasks, List<String> argv, Map<String, String> env, String cwd,
                       String mpi, String masterAddr, int masterPort, List<String> rlimits, String pmiLeader,
                       String pmiSecret) {

    public String node() {
        return stepNodes.get(nodeIndex);
    }
}
