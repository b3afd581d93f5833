package dev.sluice.scheduler.core;

/** Why a job waits (or {@link #NONE}); the names match the contracts' PendingReason constants one to one. */
public enum Reason {
    NONE, PRIORITY, RESOURCES, PARTITION_TIME_LIMIT, PARTITION_DOWN
}
