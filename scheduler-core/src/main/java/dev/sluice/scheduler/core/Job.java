package dev.sluice.scheduler.core;

import java.time.Instant;
import java.util.List;

/**
 * A job as the scheduler knows it.
 *
 * @param partition        the partition it runs in; while pending with {@code -p a,b}, the first of the list
 * @param version          how many state changes were announced; 0 until the first
 * @param allocation       the node shares it holds while RUNNING, else empty
 * @param timeLimitMinutes the effective limit once running; null is unlimited
 * @param cancelRequested  scancel of a running job: its nodes were signalled, the end comes with the batch step
 * @param groups           the submitting user's groups (AllowGroups is checked again when the partition changes)
 * @param partitions       {@code -p a,b} as asked; null when one partition was asked (or none)
 * @param arrayJobId       the array job id of an array task or of an array's pending remainder; else null
 * @param arrayTaskId      an array task's index; null for the pending remainder and for other jobs
 * @param arrayTasks       the pending remainder's task ids still to start, as {@link ArraySpec#format} writes them
 *                         ({@code 6-15%4}); null for every other job
 * @param eligibleTime     not before this (requeue delay); null is "now"
 * @param adminPriority    a priority an administrator set (scontrol update Priority=); null is multifactor
 * @param restarts         how often it was requeued
 */
public record Job(long id, String user, String partition, JobRequest request, Instant submitTime, JobState state,
                  Reason reason, long version, List<NodeShare> allocation, Integer timeLimitMinutes,
                  Instant startTime, Instant endTime, Integer exitCode, Integer signal, boolean cancelRequested,
                  String detail, List<String> groups, String partitions, Long arrayJobId, Integer arrayTaskId,
                  String arrayTasks, Instant eligibleTime, Long adminPriority, int restarts) {
    public Job {
        allocation = allocation == null ? List.of() : List.copyOf(allocation);
        groups = groups == null ? null : List.copyOf(groups);
    }

    /** The 16 components this record had before issue 3; the new ones are empty. */
    public Job(long id, String user, String partition, JobRequest request, Instant submitTime, JobState state,
               Reason reason, long version, List<NodeShare> allocation, Integer timeLimitMinutes,
               Instant startTime, Instant endTime, Integer exitCode, Integer signal, boolean cancelRequested,
               String detail) {
        this(id, user, partition, request, submitTime, state, reason, version, allocation, timeLimitMinutes,
                startTime, endTime, exitCode, signal, cancelRequested, detail, null, null, null, null, null, null,
                null, 0);
    }

    public static Job pending(long id, String user, String partition, JobRequest request, Instant submitTime) {
        return new Job(id, user, partition, request, submitTime, JobState.PENDING, Reason.NONE, 0, List.of(), null,
                null, null, null, null, false, null);
    }

    public List<String> nodeNames() {
        String[] out = new String[allocation.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = allocation.get(i).node();
        }
        return java.util.Collections.unmodifiableList(java.util.Arrays.asList(out));
    }

    /** The pending record of an array's tasks not yet started (squeue's {@code 42_[6-15%4]}). */
    public boolean arrayRemainder() {
        return arrayTasks != null;
    }

    /** A mutable copy: one place that lists every component. */
    static final class B {
        long id;
        String user, partition, detail, partitions, arrayTasks;
        JobRequest request;
        Instant submitTime, startTime, endTime, eligibleTime;
        JobState state;
        Reason reason;
        long version;
        List<NodeShare> allocation;
        Integer timeLimitMinutes, exitCode, signal, arrayTaskId;
        boolean cancelRequested;
        List<String> groups;
        Long arrayJobId, adminPriority;
        int restarts;

        B(Job j) {
            id = j.id; user = j.user; partition = j.partition; request = j.request; submitTime = j.submitTime;
            state = j.state; reason = j.reason; version = j.version; allocation = j.allocation;
            timeLimitMinutes = j.timeLimitMinutes; startTime = j.startTime; endTime = j.endTime;
            exitCode = j.exitCode; signal = j.signal; cancelRequested = j.cancelRequested; detail = j.detail;
            groups = j.groups; partitions = j.partitions; arrayJobId = j.arrayJobId; arrayTaskId = j.arrayTaskId;
            arrayTasks = j.arrayTasks; eligibleTime = j.eligibleTime; adminPriority = j.adminPriority;
            restarts = j.restarts;
        }

        Job build() {
            return new Job(id, user, partition, request, submitTime, state, reason, version, allocation,
                    timeLimitMinutes, startTime, endTime, exitCode, signal, cancelRequested, detail, groups,
                    partitions, arrayJobId, arrayTaskId, arrayTasks, eligibleTime, adminPriority, restarts);
        }
    }

    Job with(java.util.function.Consumer<B> change) {
        B b = new B(this);
        change.accept(b);
        return b.build();
    }

    Job withReason(Reason r) {
        return with(b -> {
            b.reason = r;
            b.version = version + 1;
        });
    }

    Job started(List<NodeShare> shares, Integer limit, Instant now) {
        state.requireMoveTo(JobState.RUNNING);
        return with(b -> {
            b.state = JobState.RUNNING;
            b.reason = Reason.NONE;
            b.version = version + 1;
            b.allocation = shares;
            b.timeLimitMinutes = limit;
            b.startTime = now;
            b.endTime = null;
            b.exitCode = null;
            b.signal = null;
            b.cancelRequested = false;
            b.detail = null;
        });
    }

    Job ended(JobState end, Instant now, Integer exit, Integer sig, String why) {
        state.requireMoveTo(end);
        return with(b -> {
            b.state = end;
            b.reason = Reason.NONE;
            b.version = version + 1;
            b.endTime = now;
            b.exitCode = exit;
            b.signal = sig;
            b.detail = why;
        });
    }

    Job cancelling() {
        return with(b -> b.cancelRequested = true);
    }
}
