package dev.sluice.scheduler.core;

/** Node states in sinfo's words. IDLE, MIXED and ALLOCATED follow from allocations; DOWN and DRAINED are set. */
public enum NodeState {
    IDLE, MIXED, ALLOCATED, DOWN, DRAINED;

    public boolean isUp() {
        return this == IDLE || this == MIXED || this == ALLOCATED;
    }
}
