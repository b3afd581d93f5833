package dev.sluice.scheduler.core;

/**
 * What a job asks for, in sbatch's terms; null means "not given" and Slurm's defaults apply through the
 * {@code effective...} methods.
 *
 * @param nodesMin      {@code -N min}
 * @param nodesMax      {@code -N min-max}
 * @param ntasks        {@code -n}
 * @param ntasksPerNode {@code --ntasks-per-node}
 * @param cpusPerTask   {@code -c}
 * @param memPerNodeMb  {@code --mem}
 * @param memPerCpuMb   {@code --mem-per-cpu}
 * @param timeLimitMinutes {@code --time}; null means the partition's default
 * @param exclusive        {@code --exclusive}: whole nodes, all their CPUs, shared with no other job
 */
public record JobRequest(Integer nodesMin, Integer nodesMax, Integer ntasks, Integer ntasksPerNode,
                         Integer cpusPerTask, Long memPerNodeMb, Long memPerCpuMb, Integer timeLimitMinutes,
                         Boolean exclusive) {

    public JobRequest(Integer nodesMin, Integer nodesMax, Integer ntasks, Integer ntasksPerNode, Integer cpusPerTask,
                      Long memPerNodeMb, Long memPerCpuMb, Integer timeLimitMinutes) {
        this(nodesMin, nodesMax, ntasks, ntasksPerNode, cpusPerTask, memPerNodeMb, memPerCpuMb, timeLimitMinutes, null);
    }

    public boolean wholeNodes() {
        return Boolean.TRUE.equals(exclusive);
    }

    public static JobRequest tasks(int ntasks) {
        return new JobRequest(null, null, ntasks, null, null, null, null, null);
    }

    public int effectiveCpusPerTask() {
        return cpusPerTask == null || cpusPerTask < 1 ? 1 : cpusPerTask;
    }

    /** Without {@code -n}, Slurm runs one task per node, or {@code --ntasks-per-node} per node. */
    public int effectiveTasks() {
        if (ntasks != null && ntasks > 0) {
            return ntasks;
        }
        int nodes = nodesMin == null || nodesMin < 1 ? 1 : nodesMin;
        return ntasksPerNode == null || ntasksPerNode < 1 ? nodes : nodes * ntasksPerNode;
    }

    /** A node cannot run zero tasks, so {@code -n 1 -N 2} becomes one node, as srun warns. */
    public int effectiveNodesMin() {
        int min = nodesMin == null || nodesMin < 1 ? 1 : nodesMin;
        return Math.min(min, effectiveTasks());
    }

    /** {@code -N 2} means exactly two nodes; without {@code -N} any number will do. */
    public int effectiveNodesMax() {
        if (nodesMax != null && nodesMax > 0) {
            return Math.max(nodesMax, effectiveNodesMin());
        }
        return nodesMin != null && nodesMin > 0 ? effectiveNodesMin() : Integer.MAX_VALUE;
    }
}
