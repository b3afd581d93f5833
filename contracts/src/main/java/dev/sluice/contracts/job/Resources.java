package dev.sluice.contracts.job;

import java.util.List;

/**
 * What a job asks for, in sbatch's terms. Nullable fields mean "not given": the scheduler applies Slurm's
 * defaults (one node, one task, one CPU per task, the partition's default memory and time).
 *
 * @param nodesMin      {@code -N min}
 * @param nodesMax      {@code -N min-max}; null when only min was given
 * @param ntasks        {@code -n}
 * @param ntasksPerNode {@code --ntasks-per-node}
 * @param cpusPerTask   {@code -c}
 * @param memPerNodeMb  {@code --mem}, in MiB
 * @param memPerCpuMb   {@code --mem-per-cpu}, in MiB
 * @param gres          {@code --gres} entries such as {@code gpu:h100:2} (and {@code --gpus-per-node} as one)
 * @param exclusive     {@code --exclusive}
 * @param gpusTotal     {@code --gpus=[type:]N}: N GPUs across the whole job
 * @param gpusPerTask   {@code --gpus-per-task=[type:]N}
 * @param gpuType       the type in {@code --gpus} or {@code --gpus-per-task}; null takes any type
 * @param memPerGpuMb   {@code --mem-per-gpu}, in MiB
 */
public record Resources(Integer nodesMin, Integer nodesMax, Integer ntasks, Integer ntasksPerNode,
                        Integer cpusPerTask, Long memPerNodeMb, Long memPerCpuMb, List<String> gres,
                        Boolean exclusive, Integer gpusTotal, Integer gpusPerTask, String gpuType,
                        Long memPerGpuMb) {

    /** The 9 components Resources had before the GPU options, which are then null. */
    public Resources(Integer nodesMin, Integer nodesMax, Integer ntasks, Integer ntasksPerNode,
                     Integer cpusPerTask, Long memPerNodeMb, Long memPerCpuMb, List<String> gres,
                     Boolean exclusive) {
        this(nodesMin, nodesMax, ntasks, ntasksPerNode, cpusPerTask, memPerNodeMb, memPerCpuMb, gres, exclusive,
                null, null, null, null);
    }

    public static Resources of(int ntasks, int cpusPerTask, Long memPerNodeMb) {
        return new Resources(null, null, ntasks, null, cpusPerTask, memPerNodeMb, null, List.of(), false);
    }

    public int ntasksOrDefault() {
        return ntasks == null ? 1 : ntasks;
    }

    public int cpusPerTaskOrDefault() {
        return cpusPerTask == null ? 1 : cpusPerTask;
    }
}
