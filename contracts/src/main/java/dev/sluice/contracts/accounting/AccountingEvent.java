package dev.sluice.contracts.accounting;

import dev.sluice.contracts.Event;

/**
 * What administrators set with sacctmgr (associations, QoS) and the fairshare usage accounting derives from job
 * history, on {@code sluice.accounting.events}. Each event carries the whole new state of its entity, so a consumer
 * keeps the latest per key and a replay changes nothing.
 */
public sealed interface AccountingEvent extends Event permits AssociationChanged, QosChanged, FairshareUsage {
}
