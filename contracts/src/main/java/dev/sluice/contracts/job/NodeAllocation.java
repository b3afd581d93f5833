package dev.sluice.contracts.job;

import java.util.List;

/** The share of one node given to a job: how many tasks, which CPU ids, how much memory, which GPU indices. */
public record NodeAllocation(String node, int tasks, List<Integer> cpuIds, long memMb, List<Integer> gpus) {
    public int cpus() {
        return cpuIds.size();
    }
}
