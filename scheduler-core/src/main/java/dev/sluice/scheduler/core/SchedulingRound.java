package dev.sluice.scheduler.core;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/** What a strategy may see and do during one pass. Starting a job takes its resources at once. */
public interface SchedulingRound {
    /** Pending jobs, first in first out: by submit time, then job id. */
    List<Job> pending();

    /** A reason the job cannot run whatever the free resources (partition limits, partition down). */
    Optional<Reason> ineligible(Job job);

    /** The names of the up nodes the job could run on. */
    Set<String> candidateNodes(Job job);

    /** Where the job fits on the resources free right now, if it does. */
    Optional<List<NodeShare>> fit(Job job);

    void start(Job job, List<NodeShare> shares);

    /** The job keeps waiting, for this reason. */
    void hold(Job job, Reason reason);
}
