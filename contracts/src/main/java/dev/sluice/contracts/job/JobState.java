package dev.sluice.contracts.job;

/**
 * Job states with Slurm's long and short names. The legal transitions between them live in
 * {@link JobStateMachine}, the one place they are written down.
 */
public enum JobState {
    PENDING("PD"),
    RUNNING("R"),
    SUSPENDED("S"),
    COMPLETING("CG"),
    COMPLETED("CD"),
    CANCELLED("CA"),
    FAILED("F"),
    TIMEOUT("TO"),
    NODE_FAIL("NF"),
    PREEMPTED("PR"),
    OUT_OF_MEMORY("OOM"),
    BOOT_FAIL("BF"),
    DEADLINE("DL"),
    REQUEUED("RQ");

    private final String shortName;

    JobState(String shortName) {
        this.shortName = shortName;
    }

    /** The two-or-three letter code squeue prints in its ST column. */
    public String shortName() {
        return shortName;
    }

    /** A job in a terminal state never changes again (a requeue creates a new run of the same job id). */
    public boolean isTerminal() {
        return JobStateMachine.isTerminal(this);
    }

    public static JobState parse(String text) {
        String t = text.trim().toUpperCase(java.util.Locale.ROOT);
        for (JobState s : values()) {
            if (s.name().equals(t) || s.shortName.equals(t)) {
                return s;
            }
        }
        if (t.equals("CANCELED")) {
            return CANCELLED;
        }
        throw new IllegalArgumentException("Invalid job state specified: " + text);
    }
}
