package dev.sluice.contracts.accounting;

import dev.sluice.contracts.EventType;

import java.time.Instant;

/**
 * The decayed usage of one association at {@code time}: billing-weighted seconds (Slurm's RawUsage), decayed with
 * PriorityDecayHalfLife. {@code user} is absent for an account's total. The scheduler keeps the latest per key.
 * <p>
 * Meaning, as accounting produces it: {@code rawUsage} = sum over the association's jobs of the job's billing (its
 * partition's TRESBillingWeights applied to the allocation, with its fraction) times each second run, every second
 * weighted by {@code 2^-(age/PriorityDecayHalfLife)} at {@code time}; running jobs count up to {@code time}. With
 * PriorityDecayHalfLife=0, plain seconds since the last PriorityUsageResetPeriod boundary. It is recomputed from
 * the history each time (a replay changes nothing), published every PriorityCalcPeriod and about a second after a
 * job starts or ends. Each publish sends every user association (partition-less: usage is per account and user)
 * and then every account with its subtree's total (root included). A consumer building a share tree takes the user
 * events as the leaves' usage and lets accounts sum their children; the account events are for display and would
 * count twice if added to the leaves. Values between publishes may be extrapolated by decaying with the half-life.
 */
@EventType("sluice.accounting.fairshare-usage.v1")
public record FairshareUsage(String cluster, String account, String user, double rawUsage, Instant time)
        implements AccountingEvent {
    @Override
    public String key() {
        return AssociationChanged.key(cluster, account, user, null);
    }
}
