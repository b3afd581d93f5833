package dev.sluice.contracts.accounting;

import dev.sluice.contracts.EventType;

import java.time.Instant;

/**
 * The decayed usage of one association at {@code time}: billing-weighted seconds (Slurm's RawUsage), decayed with
 * PriorityDecayHalfLife. {@code user} is absent for an account's total. The scheduler keeps the latest per key.
 */
@EventType("sluice.accounting.fairshare-usage.v1")
public record FairshareUsage(String cluster, String account, String user, double rawUsage, Instant time)
        implements AccountingEvent {
    @Override
    public String key() {
        return AssociationChanged.key(cluster, account, user, null);
    }
}
