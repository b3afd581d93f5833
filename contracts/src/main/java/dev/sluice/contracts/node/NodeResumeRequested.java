package dev.sluice.contracts.node;

import dev.sluice.contracts.Event;
import dev.sluice.contracts.EventType;

import java.time.Instant;

/**
 * An admin resumed the node ({@code scontrol update NodeName=n State=RESUME}): its agent drops its own drain (the
 * persisted reason of a failed prolog, epilog, health check or unkillable step) and takes jobs again. On
 * {@code sluice.node.commands}, keyed by node name, from the scheduler. Not a {@link NodeCommand}: it names no job.
 */
@EventType("sluice.node.resume-requested.v1")
public record NodeResumeRequested(String node, Instant time) implements Event {
    @Override
    public String key() {
        return node;
    }
}
