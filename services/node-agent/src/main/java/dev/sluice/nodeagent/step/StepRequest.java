package dev.sluice.nodeagent.step;

import dev.sluice.scheduler.core.config.Hostlist;

import java.util.List;
import java.util.Map;

/**
 * What srun asks for (docs/steps.md, POST /api/v1/jobs/{id}/steps). Absent fields take srun's defaults.
 *
 * @param nodelist {@code -w}: a hostlist expression ({@code node[01-02]}) or a JSON list of names
 * @param rlimits  optional: the caller's resource limits ({@code memlock -> "unlimited"} or {@code "soft:hard"});
 *                 absent, tasks get the batch script's own limits (Slurm's PropagateResourceLimits)
 */
public record StepRequest(List<String> argv, Map<String, String> env, String cwd, Integer ntasks, Integer nodesMin,
                          Integer nodesMax, Integer ntasksPerNode, Integer cpusPerTask, Integer gpusPerTask,
                          String distribution, String cpuBind, String mpi, Boolean killOnBadExit, Object nodelist,
                          Boolean label, Map<String, String> rlimits) {

    public static StepRequest of(List<String> argv, int ntasks) {
        return new StepRequest(argv, null, null, ntasks, null, null, null, null, null, null, null, null, null, null,
                null, null);
    }

    public int cpusPerTaskOrDefault() {
        return cpusPerTask == null || cpusPerTask < 1 ? 1 : cpusPerTask;
    }

    public boolean cyclic() {
        return distribution != null && distribution.toLowerCase().startsWith("cyclic");
    }

    public boolean bindCores() {
        return cpuBind == null || !cpuBind.equalsIgnoreCase("none");
    }

    public boolean killsOnBadExit() {
        return Boolean.TRUE.equals(killOnBadExit);
    }

    /** The -w nodes, expanded; empty when not given. */
    public List<String> nodes() {
        return switch (nodelist) {
            case null -> List.of();
            case String s when s.isBlank() -> List.of();
            case String s -> List.of(s.split(",(?![^\\[]*\\])")).stream().flatMap(p -> Hostlist.expand(p).stream())
                    .toList();
            case List<?> l -> l.stream().map(String::valueOf).flatMap(p -> Hostlist.expand(p).stream()).toList();
            default -> throw new IllegalArgumentException("nodelist must be a hostlist or a list of names");
        };
    }

    public StepRequest withRlimits(Map<String, String> limits) {
        return new StepRequest(argv, env, cwd, ntasks, nodesMin, nodesMax, ntasksPerNode, cpusPerTask, gpusPerTask,
                distribution, cpuBind, mpi, killOnBadExit, nodelist, label, limits);
    }

    public StepRequest withMpi(String plugin) {
        return new StepRequest(argv, env, cwd, ntasks, nodesMin, nodesMax, ntasksPerNode, cpusPerTask, gpusPerTask,
                distribution, cpuBind, plugin, killOnBadExit, nodelist, label, rlimits);
    }
}
