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
 * @param account          {@code --account}; null is the user's default association
 * @param qos              {@code --qos}; null is the association's default ({@code normal})
 * @param nice             {@code --nice}: subtracted from the priority; null is 0
 * @param gpusPerNode      {@code --gres=gpu[:type]:N} (or {@code --gpus-per-node}); null is none
 * @param gpuType          the type in {@code --gres=gpu:type:N}; null takes any type
 */
public record JobRequest(Integer nodesMin, Integer nodesMax, Integer ntasks, Integer ntasksPerNode,
                         Integer cpusPerTask, Long memPerNodeMb, Long memPerCpuMb, Integer timeLimitMinutes,
                         Boolean exclusive, String account, String qos, Integer nice, Integer gpusPerNode,
                         String gpuType) {

    public JobRequest(Integer nodesMin, Integer nodesMax, Integer ntasks, Integer ntasksPerNode, Integer cpusPerTask,
                      Long memPerNodeMb, Long memPerCpuMb, Integer timeLimitMinutes, Boolean exclusive) {
        this(nodesMin, nodesMax, ntasks, ntasksPerNode, cpusPerTask, memPerNodeMb, memPerCpuMb, timeLimitMinutes,
                exclusive, null, null, null, null, null);
    }

    public JobRequest withAccount(String a, String q) {
        return new JobRequest(nodesMin, nodesMax, ntasks, ntasksPerNode, cpusPerTask, memPerNodeMb, memPerCpuMb,
                timeLimitMinutes, exclusive, a, q, nice, gpusPerNode, gpuType);
    }

    public JobRequest withNice(Integer n) {
        return new JobRequest(nodesMin, nodesMax, ntasks, ntasksPerNode, cpusPerTask, memPerNodeMb, memPerCpuMb,
                timeLimitMinutes, exclusive, account, qos, n, gpusPerNode, gpuType);
    }

    /** {@code --gres=gpu:type:count}, per node. */
    public JobRequest withGpus(Integer count, String type) {
        return new JobRequest(nodesMin, nodesMax, ntasks, ntasksPerNode, cpusPerTask, memPerNodeMb, memPerCpuMb,
                timeLimitMinutes, exclusive, account, qos, nice, count, type);
    }

    public JobRequest withTimeLimit(Integer minutes) {
        return new JobRequest(nodesMin, nodesMax, ntasks, ntasksPerNode, cpusPerTask, memPerNodeMb, memPerCpuMb,
                minutes, exclusive, account, qos, nice, gpusPerNode, gpuType);
    }

    public int effectiveGpusPerNode() {
        return gpusPerNode == null || gpusPerNode < 0 ? 0 : gpusPerNode;
    }

    public int effectiveNice() {
        return nice == null ? 0 : nice;
    }

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
