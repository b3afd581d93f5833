package dev.sluice.scheduler.core;

import java.time.Instant;
import java.util.List;

/**
 * A job as the scheduler knows it.
 *
 * @param partition        the partition it runs in (the default one when none was asked for)
 * @param version          how many state changes were announced; 0 until the first
 * @param allocation       the node shares it holds while RUNNING, else empty
 * @param timeLimitMinutes the effective limit once running; null is unlimited
 * @param cancelRequested  scancel of a running job: its nodes were signalled, the end comes with the batch step
 */
public record Job(long id, String user, String partition, JobRequest request, Instant submitTime, JobState state,
                  Reason reason, long version, List<NodeShare> allocation, Integer timeLimitMinutes,
                  Instant startTime, Instant endTime, Integer exitCode, Integer signal, boolean cancelRequested,
                  String detail) {
    public Job {
        allocation = allocation == null ? List.of() : List.copyOf(allocation);
    }

    public static Job pending(long id, String user, String partition, JobRequest request, Instant submitTime) {
        return new Job(id, user, partition, request, submitTime, JobState.PENDING, Reason.NONE, 0, List.of(), null,
                null, null, null, null, false, null);
    }

    public List<String> nodeNames() {
        return allocation.stream().map(NodeShare::node).toList();
    }

    Job withReason(Reason r) {
        return new Job(id, user, partition, request, submitTime, state, r, version + 1, allocation,
                timeLimitMinutes, startTime, endTime, exitCode, signal, cancelRequested, detail);
    }

    Job started(List<NodeShare> shares, Integer limit, Instant now) {
        state.requireMoveTo(JobState.RUNNING);
        return new Job(id, user, partition, request, submitTime, JobState.RUNNING, Reason.NONE, version + 1, shares,
                limit, now, null, null, null, false, null);
    }

    Job ended(JobState end, Instant now, Integer exit, Integer sig, String why) {
        state.requireMoveTo(end);
        return new Job(id, user, partition, request, submitTime, end, Reason.NONE, version + 1, allocation,
                timeLimitMinutes, startTime, now, exit, sig, cancelRequested, why);
    }

    Job cancelling() {
        return new Job(id, user, partition, request, submitTime, state, reason, version, allocation,
                timeLimitMinutes, startTime, endTime, exitCode, signal, true, detail);
    }
}
