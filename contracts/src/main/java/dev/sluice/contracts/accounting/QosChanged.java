package dev.sluice.contracts.accounting;

import dev.sluice.contracts.EventType;

import java.time.Instant;
import java.util.Map;

/**
 * A QoS as it now is, or its removal. {@code limits} uses Slurm's names (MaxTRESPerUser, MaxJobsPerUser, MaxWall,
 * GrpTRES, ...) with Slurm's value syntax.
 */
@EventType("sluice.accounting.qos-changed.v1")
public record QosChanged(String name, int priority, String description, Map<String, String> limits, boolean removed,
                         Instant time) implements AccountingEvent {
    @Override
    public String key() {
        return "qos:" + name;
    }
}
