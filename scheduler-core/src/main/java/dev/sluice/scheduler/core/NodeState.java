package dev.sluice.scheduler.core;

/**
 * Node states in sinfo's words. IDLE, MIXED and ALLOCATED follow from allocations; COMPLETING while a job there
 * is being ended (signalled, its batch step not yet finished); DRAINING is a drained node that still runs jobs
 * (DRAINED once they ended); DOWN is set.
 */
public enum NodeState {
    IDLE, MIXED, ALLOCATED, DOWN, DRAINED, DRAINING, COMPLETING;

    /** Up nodes take new jobs. */
    public boolean isUp() {
        return this == IDLE || this == MIXED || this == ALLOCATED || this == COMPLETING;
    }

    public boolean isDrain() {
        return this == DRAINED || this == DRAINING;
    }
}
