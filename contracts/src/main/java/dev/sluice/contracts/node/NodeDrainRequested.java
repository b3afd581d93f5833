package dev.sluice.contracts.node;

import dev.sluice.contracts.EventType;

import java.time.Instant;

/**
 * The agent found its node unfit for jobs (failing prolog, epilog or health check, a step that survived SIGKILL):
 * the scheduler drains the node with this reason, as slurmd asks slurmctld to. Only an admin's resume undrains it.
 */
@EventType("sluice.node.drain-requested.v1")
public record NodeDrainRequested(String node, String reason, Instant time) implements NodeEvent {
}
