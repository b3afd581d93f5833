package dev.sluice.scheduler.core;

import java.util.BitSet;
import java.util.Iterator;

/**
 * What the core's own round offers {@link FifoStrategy} so that a pass costs what changed rather than what waits.
 * The argument that a skipped job gets the answer it would have got is in {@link FifoStrategy}.
 */
interface SettlingRound extends SchedulingRound {
    /** False when something global (array remainders, association or QoS limits) forbids skipping. */
    boolean settles();

    /** The pending jobs in submit order, read lazily: the reader may change only the job it was just given. */
    Iterator<Job> inOrder();

    /** True when every up node is in {@code blocked}. */
    boolean covers(BitSet blocked);

    /** The job was just held for Priority behind blocked nodes: settle it if its answer reads nothing that moves. */
    void settle(Job job);

    /**
     * With every node blocked, the pending jobs after {@code last} (in submit order) that are not settled in the
     * current epoch; {@code rest} is the iterator {@code last} came from.
     */
    Iterable<Job> unsettledAfter(Job last, Iterator<Job> rest);

    /** The pass reached the end of the queue visiting every job. */
    void visitedAll();
}
