package dev.sluice.scheduler.core;

/** Why a job waits (or {@link #NONE}); the names match the contracts' PendingReason constants one to one. */
public enum Reason {
    NONE, PRIORITY, RESOURCES, PARTITION_TIME_LIMIT, PARTITION_DOWN,
    DEPENDENCY, BEGIN_TIME, JOB_HELD_USER, JOB_HELD_ADMIN, PARTITION_NODE_LIMIT,
    ASSOC_GRP_GRES, ASSOC_GRP_CPU_LIMIT, ASSOC_GRP_JOBS_LIMIT, ASSOC_GRP_CPU_RUN_MINUTES_LIMIT, ASSOC_MAX_JOBS_LIMIT, ASSOC_MAX_WALL_DURATION_LIMIT,
    QOS_MAX_JOBS_PER_USER_LIMIT, QOS_MAX_GRES_PER_USER, QOS_MAX_CPU_PER_USER_LIMIT, QOS_GRP_GRES,
    QOS_MAX_WALL_DURATION_LIMIT,
    /** -w names a node that is down, drained or not in the partition. */
    REQ_NODE_NOT_AVAIL,
    /** -C asks for features no node of the partition has. */
    BAD_CONSTRAINTS,
    /** the array's %throttle tasks are running. */
    JOB_ARRAY_TASK_LIMIT,
    /** a dependency failed (afterok on a failed job...): the job will never run until updated or cancelled. */
    DEPENDENCY_NEVER_SATISFIED,
    /** the partition's GrpTRES cpu is used up (Slurm: a partition QOS's QOSGrpCpuLimit). */
    QOS_GRP_CPU_LIMIT
}
