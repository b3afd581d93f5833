package dev.sluice.scheduler.core;

import java.time.Instant;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** What a strategy may see and do during one pass. Starting a job takes its resources at once. */
public interface SchedulingRound {
    /** Pending jobs, first in first out: by submit time, then job id. */
    List<Job> pending();

    /**
     * A reason the job cannot run whatever the free resources: held, partition limits or down, association and
     * QoS limits (counted with the jobs started so far in this pass).
     */
    Optional<Reason> ineligible(Job job);

    /** The names of the up nodes the job could run on. */
    Set<String> candidateNodes(Job job);

    /** Where the job fits on the resources free right now, if it does. */
    Optional<List<NodeShare>> fit(Job job);

    /** Whether {@link #fit(Job)} would find a place, without laying the job out (same effects otherwise). */
    default boolean fits(Job job) {
        return fit(job).isPresent();
    }

    void start(Job job, List<NodeShare> shares);

    /** The job keeps waiting, for this reason. */
    void hold(Job job, Reason reason);

    /** The pass's time. */
    /**
     * The strategy expects {@code job} to start at {@code start} (a backfill reservation), as {@code squeue --start}
     * shows it. Strategies that plan nothing never call it.
     */
    default void plan(Job job, Instant start) {
    }

    /**
     * Whether this pass should work out expected starts for {@link #plan}. When not, a strategy may leave out work
     * whose only result is a plan, as long as every decision stays the same.
     */
    default boolean plans() {
        return true;
    }

    /**
     * Whether the job would fit on its nodes with no job running there, counting CPUs and GPUs first as EASY's
     * reservation search does: whether a reservation for it exists at all. Asked only when {@link #plans()} is
     * false.
     */
    default boolean couldFitIdle(Job job) {
        throw new UnsupportedOperationException("couldFitIdle is asked only of rounds that do not plan");
    }

    Instant now();

    /** Running jobs, those started in this pass included. */
    List<Job> running();

    /** The free resources now; {@link #start} takes from it. Copy it to look ahead. */
    ResourcePool pool();

    /** Where the job fits on {@code pool}, if it does. */
    Optional<List<NodeShare>> fit(Job job, ResourcePool pool);

    /**
     * Where the job would fit on {@code pool} (a look-ahead copy), its CPUs, GPUs and memory; the shares may leave
     * the task ranks out, so they are for taking from a copy, never for starting the job.
     */
    default Optional<List<NodeShare>> fitResources(Job job, ResourcePool pool) {
        return fit(job, pool);
    }

    /** Whether the job fits on {@code pool} at all (nothing laid out). */
    default boolean fits(Job job, ResourcePool pool) {
        return fit(job, pool).isPresent();
    }

    /** The up nodes the job could run on, as indices into {@link #pool()}. */
    BitSet candidateMask(Job job);

    /** When a running job will have ended at the latest (start plus limit); null when it has no limit. */
    Instant expectedEnd(Job running);

    /** A pending job's effective time limit in minutes; null is unlimited. */
    Integer timeLimit(Job pending);

    /** The job's multifactor priority; higher runs first. */
    double priority(Job job);

    /** The PriorityTier of the job's partition; a higher tier is scheduled before any lower one. */
    int priorityTier(Job job);
}
