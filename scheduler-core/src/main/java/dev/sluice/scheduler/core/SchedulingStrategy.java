package dev.sluice.scheduler.core;

/**
 * One scheduling pass over the pending jobs. FIFO today; multifactor priority and backfill replace it later
 * without touching how inputs, allocations and state changes are handled.
 */
public interface SchedulingStrategy {
    void schedule(SchedulingRound round);
}
