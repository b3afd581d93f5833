package dev.sluice.scheduler.core;

import java.util.List;

/**
 * The part of one node given to a job: its task count, the CPU ids, the memory reserved (0: not reserved) and the
 * GPU indices on that node (empty when the job asked for none), which the node agent applies as its layout.
 */
public record NodeShare(String node, int tasks, List<Integer> cpuIds, long memMb, List<Integer> gpuIds) {
    public NodeShare {
        cpuIds = List.copyOf(cpuIds);
        gpuIds = gpuIds == null ? List.of() : List.copyOf(gpuIds);
    }

    public NodeShare(String node, int tasks, List<Integer> cpuIds, long memMb) {
        this(node, tasks, cpuIds, memMb, List.of());
    }
}
