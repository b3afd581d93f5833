package dev.sluice.contracts.job;

/** Pending reasons with the exact strings squeue shows in NODELIST(REASON). */
public enum PendingReason {
    NONE("None"),
    PRIORITY("Priority"),
    RESOURCES("Resources"),
    DEPENDENCY("Dependency"),
    BEGIN_TIME("BeginTime"),
    JOB_HELD_USER("JobHeldUser"),
    JOB_HELD_ADMIN("JobHeldAdmin"),
    PARTITION_TIME_LIMIT("PartitionTimeLimit"),
    PARTITION_NODE_LIMIT("PartitionNodeLimit"),
    PARTITION_DOWN("PartitionDown"),
    NODE_DOWN("NodeDown"),
    ASSOC_GRP_GRES("AssocGrpGRES"),
    ASSOC_GRP_CPU_LIMIT("AssocGrpCpuLimit"),
    ASSOC_GRP_JOBS_LIMIT("AssocGrpJobsLimit"),
    ASSOC_GRP_CPU_RUN_MINUTES_LIMIT("AssocGrpCPURunMinutesLimit"),
    ASSOC_MAX_JOBS_LIMIT("AssocMaxJobsLimit"),
    ASSOC_MAX_WALL_DURATION_LIMIT("AssocMaxWallDurationPerJobLimit"),
    QOS_MAX_JOBS_PER_USER_LIMIT("QOSMaxJobsPerUserLimit"),
    QOS_MAX_GRES_PER_USER("QOSMaxGRESPerUser"),
    QOS_MAX_CPU_PER_USER_LIMIT("QOSMaxCpuPerUserLimit"),
    QOS_GRP_GRES("QOSGrpGRES"),
    QOS_MAX_WALL_DURATION_LIMIT("QOSMaxWallDurationPerJobLimit"),
    REQ_NODE_NOT_AVAIL("ReqNodeNotAvail"),
    BAD_CONSTRAINTS("BadConstraints"),
    NODE_FAIL("launch failed requeued held"),
    JOB_ARRAY_TASK_LIMIT("JobArrayTaskLimit"),
    DEPENDENCY_NEVER_SATISFIED("DependencyNeverSatisfied"),
    /** A partition's GrpTRES cpu is used up: Slurm reports a partition QOS's limit this way. */
    QOS_GRP_CPU_LIMIT("QOSGrpCpuLimit");

    private final String slurmName;

    PendingReason(String slurmName) {
        this.slurmName = slurmName;
    }

    public String slurmName() {
        return slurmName;
    }
}
