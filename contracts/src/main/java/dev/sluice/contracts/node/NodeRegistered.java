package dev.sluice.contracts.node;

import dev.sluice.contracts.EventType;

import java.time.Instant;
import java.util.List;

/**
 * A node agent started (or restarted) and describes its node.
 *
 * @param bootId      new for every start of the agent, so a restart is told apart from a duplicate
 * @param address     {@code host:port} of the agent's own API
 * @param cpuIds      the host CPU ids this node owns (a slice of the host when several agents share it)
 * @param runningJobs jobs whose processes the agent found still running at start
 */
@EventType("sluice.node.registered.v1")
public record NodeRegistered(String node, String bootId, Instant time, String hostname, String address,
                             int cpus, int sockets, int coresPerSocket, int threadsPerCore, List<Integer> cpuIds,
                             long realMemoryMb, List<String> gres, List<String> features, List<Long> runningJobs)
        implements NodeEvent {
}
