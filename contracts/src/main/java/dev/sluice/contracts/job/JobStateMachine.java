package dev.sluice.contracts.job;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import static dev.sluice.contracts.job.JobState.*;

/**
 * The job state machine, written once. Every producer of {@code JobStateChanged} checks its transition here, and
 * the table is tested row by row.
 *
 * <pre>
 *  PENDING ──start──▶ RUNNING ──exit 0──────────────▶ COMPLETED
 *    │  ▲               │ │ ├─exit≠0 / launch error─▶ FAILED
 *    │  │               │ │ ├─scancel───────────────▶ CANCELLED
 *    │  └─── REQUEUED ◀─┤ │ ├─time limit────────────▶ TIMEOUT
 *    │        │         │ │ ├─node lost─────────────▶ NODE_FAIL
 *    │        └▶CANCELLED │ ├─cgroup OOM────────────▶ OUT_OF_MEMORY
 *    │                  │ │ └─preempted─────────────▶ PREEMPTED
 *    │                  │ └──▶ COMPLETING (steps ending) ──▶ any end above, or REQUEUED
 *    │                  └──▶ SUSPENDED ──▶ RUNNING, CANCELLED, NODE_FAIL, REQUEUED
 *    └──▶ CANCELLED (scancel), FAILED (rejected at start), BOOT_FAIL, DEADLINE
 * </pre>
 */
public final class JobStateMachine {
    private static final Set<JobState> TERMINAL =
            EnumSet.of(COMPLETED, CANCELLED, FAILED, TIMEOUT, NODE_FAIL, PREEMPTED, OUT_OF_MEMORY, BOOT_FAIL, DEADLINE);

    private static final Map<JobState, Set<JobState>> NEXT = new EnumMap<>(JobState.class);

    static {
        Set<JobState> ends = EnumSet.of(COMPLETED, CANCELLED, FAILED, TIMEOUT, NODE_FAIL, OUT_OF_MEMORY, PREEMPTED);
        NEXT.put(PENDING, EnumSet.of(RUNNING, CANCELLED, FAILED, BOOT_FAIL, DEADLINE));
        Set<JobState> fromRunning = EnumSet.copyOf(ends);
        fromRunning.addAll(EnumSet.of(COMPLETING, SUSPENDED, REQUEUED));
        NEXT.put(RUNNING, fromRunning);
        NEXT.put(SUSPENDED, EnumSet.of(RUNNING, CANCELLED, NODE_FAIL, REQUEUED));
        Set<JobState> fromCompleting = EnumSet.copyOf(ends);
        fromCompleting.add(REQUEUED);
        NEXT.put(COMPLETING, fromCompleting);
        NEXT.put(REQUEUED, EnumSet.of(PENDING, CANCELLED));
        for (JobState t : TERMINAL) {
            NEXT.put(t, EnumSet.noneOf(JobState.class));
        }
    }

    private JobStateMachine() {
    }

    public static boolean isTerminal(JobState state) {
        return TERMINAL.contains(state);
    }

    public static boolean canTransition(JobState from, JobState to) {
        return NEXT.get(from).contains(to);
    }

    /** Throws with both state names when {@code from -> to} is not a legal move. */
    public static void requireTransition(JobState from, JobState to) {
        if (!canTransition(from, to)) {
            throw new IllegalStateException("Illegal job state transition " + from + " -> " + to);
        }
    }

    public static Set<JobState> next(JobState from) {
        return EnumSet.copyOf(NEXT.get(from).isEmpty() ? EnumSet.noneOf(JobState.class) : NEXT.get(from));
    }
}
