package dev.sluice.scheduler.core;

import java.util.EnumSet;
import java.util.Set;

/**
 * The job states the core produces, with Slurm's names. The legal moves mirror the contracts' job state machine
 * (the core may not depend on contracts; the scheduler service checks the two agree).
 */
public enum JobState {
    PENDING, RUNNING, COMPLETED, CANCELLED, FAILED, TIMEOUT, NODE_FAIL, OUT_OF_MEMORY,
    /** Between RUNNING and PENDING again on requeue (scontrol requeue, node failure with --requeue). */
    REQUEUED;

    private static final Set<JobState> ENDS = EnumSet.of(COMPLETED, CANCELLED, FAILED, TIMEOUT, NODE_FAIL, OUT_OF_MEMORY);

    public boolean isFinal() {
        return ENDS.contains(this);
    }

    public boolean canMoveTo(JobState next) {
        return switch (this) {
            case PENDING -> next == RUNNING || next == CANCELLED || next == FAILED;
            case RUNNING -> ENDS.contains(next) || next == REQUEUED;
            case REQUEUED -> next == PENDING || next == CANCELLED;
            default -> false;
        };
    }

    /** Throws with both names when {@code this -> next} is not a legal move: a bug in the core, never input. */
    public void requireMoveTo(JobState next) {
        if (!canMoveTo(next)) {
            throw new IllegalStateException("Illegal job state transition " + this + " -> " + next);
        }
    }
}
