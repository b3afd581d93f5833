package dev.sluice.scheduler.core;

import java.time.Instant;
import java.util.List;

/** An immutable picture of nodes and partitions after a pass, safe to hand to other threads. */
public record ClusterView(List<NodeView> nodes, List<PartitionView> partitions) {
    public static final ClusterView EMPTY = new ClusterView(List.of(), List.of());

    public record NodeView(String name, NodeState state, String reason, int cpus, int allocCpus, long memoryMb,
                           long allocMemMb, Instant lastHeartbeat, List<String> partitions, String address) {
    }

    /** @param maxTimeMinutes null is unlimited; {@code nodes} is a hostlist expression */
    public record PartitionView(String name, boolean isDefault, String state, Integer maxTimeMinutes, String nodes,
                                int totalCpus, int idleCpus) {
    }
}
