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
 * @param gres          {@code --gres} entries such as {@code gpu:h100:2}
 * @param exclusive     {@code --exclusive}
 */
public record Resources(Integer nodesMin, Integer nodesMax, Integer ntasks, Integer ntasksPerNode,
                        Integer cpusPerTask, Long memPerNodeMb, Long memPerCpuMb, List<String> gres,
                        Boolean exclusive) {

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
