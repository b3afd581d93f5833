package dev.sluice.contracts.node;

import dev.sluice.contracts.EventType;

import java.time.Instant;
import java.util.List;

/** The agent is alive; these jobs run on it now. */
@EventType("sluice.node.heartbeat.v1")
public record NodeHeartbeat(String node, String bootId, Instant time, List<Long> runningJobs, double load1)
        implements NodeEvent {
}
