package dev.sluice.scheduler.core;

import java.time.Instant;
import java.util.List;

/**
 * A compute node as the scheduler knows it.
 *
 * @param cpuIds        the host CPU ids this node owns
 * @param reason        why it is DOWN or DRAINED, else null
 * @param bootId        the agent start that registered it, to tell a restart from a repeat
 * @param address       where its agent listens, as the agent registered it (null: not said); kept with the node so
 *                      srun finds the agent after a scheduler restart too
 */
public record Node(String name, List<Integer> cpuIds, long memoryMb, NodeState state, String reason,
                   Instant lastHeartbeat, String bootId, String address) {
    public Node {
        // An agent that reports a CPU twice must not make the scheduler hand it out twice.
        cpuIds = sortedDistinct(cpuIds) ? List.copyOf(cpuIds) : cpuIds.stream().distinct().sorted().toList();
    }

    private static boolean sortedDistinct(List<Integer> ids) {
        for (int k = 1; k < ids.size(); k++) {
            if (ids.get(k - 1) >= ids.get(k)) {
                return false;
            }
        }
        return true;
    }

    Node with(NodeState newState, String newReason) {
        return new Node(name, cpuIds, memoryMb, newState, newReason, lastHeartbeat, bootId, address);
    }

    Node heartbeatAt(Instant time) {
        return new Node(name, cpuIds, memoryMb, state, reason, time, bootId, address);
    }
}
