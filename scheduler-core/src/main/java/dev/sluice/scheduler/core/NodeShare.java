package dev.sluice.scheduler.core;

import java.util.List;

/** The part of one node given to a job: its task count, the CPU ids and the memory reserved (0: not reserved). */
public record NodeShare(String node, int tasks, List<Integer> cpuIds, long memMb) {
    public NodeShare {
        cpuIds = List.copyOf(cpuIds);
    }
}
