package dev.sluice.scheduler.core;

import java.util.List;

/**
 * The part of one node given to a job: its task count, the CPU ids, the memory reserved (0: not reserved), the
 * GPU indices on that node (empty when the job asked for none) and the job's task ranks that run there (block:
 * consecutive; {@code -m cyclic}: dealt round robin over the nodes), which the node agent applies as its layout.
 * {@code taskIds} is empty in records written before it existed: read it as consecutive ranks then.
 */
public record NodeShare(String node, int tasks, List<Integer> cpuIds, long memMb, List<Integer> gpuIds,
                        List<Integer> taskIds) {
    public NodeShare {
        cpuIds = List.copyOf(cpuIds);
        gpuIds = gpuIds == null ? List.of() : List.copyOf(gpuIds);
        taskIds = taskIds == null ? List.of() : List.copyOf(taskIds);
    }

    public NodeShare(String node, int tasks, List<Integer> cpuIds, long memMb, List<Integer> gpuIds) {
        this(node, tasks, cpuIds, memMb, gpuIds, List.of());
    }

    public NodeShare(String node, int tasks, List<Integer> cpuIds, long memMb) {
        this(node, tasks, cpuIds, memMb, List.of(), List.of());
    }
}
