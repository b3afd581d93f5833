package dev.sluice.contracts;

/** Every Kafka topic Sluice uses, in one place. See docs/architecture.md for who produces and consumes each. */
public final class Topics {
    /** Requests about jobs (submitted, cancel, hold, ...), written by submit, read by the scheduler. Key: job id. */
    public static final String JOB_COMMANDS = "sluice.job.commands";
    /** Facts about jobs decided by the scheduler (state changes, allocations). Key: job id. */
    public static final String JOB_EVENTS = "sluice.job.events";
    /** What the scheduler asks a node agent to do (launch, signal). Key: node name. */
    public static final String NODE_COMMANDS = "sluice.node.commands";
    /** Node registration and heartbeats, written by node agents. Key: node name. */
    public static final String NODE_EVENTS = "sluice.node.events";
    /** Steps started and finished on nodes, written by node agents. Key: job id. */
    public static final String STEP_EVENTS = "sluice.step.events";
    /** Users and groups synchronised from LDAP, written by identity. Key: user or group name. */
    public static final String IDENTITY_EVENTS = "sluice.identity.events";
    /** Associations, QoS and fairshare usage, written by accounting. Key: assoc:... or qos:<name>. */
    public static final String ACCOUNTING_EVENTS = "sluice.accounting.events";
    /** One flat JSON object per finished job with the field names of Slurm's jobcomp/kafka plugin. Key: job id. */
    public static final String JOBCOMP = "sluice.jobcomp";
    /** The scheduler's own compacted changelog (live jobs and nodes), read back after a restart. */
    public static final String SCHEDULER_STATE = "sluice.scheduler.state";

    public static final java.util.List<String> ALL = java.util.List.of(
            JOB_COMMANDS, JOB_EVENTS, NODE_COMMANDS, NODE_EVENTS, STEP_EVENTS, IDENTITY_EVENTS, SCHEDULER_STATE,
            ACCOUNTING_EVENTS, JOBCOMP);

    private Topics() {
    }
}
