package dev.sluice.submit.listing;

/**
 * One job as {@code GET /api/v1/jobs} shows it. Times are ISO-8601 or null; {@code timeLimitMinutes} null means
 * the partition's default (or UNLIMITED); {@code nodes} is a hostlist expression once the job has an allocation.
 * An array task has {@code arrayJobId} and {@code arrayTaskId}; an array's pending remainder has {@code arrayJobId}
 * and {@code arrayTasks} (the ids still pending, {@code 5-9%2}); {@code displayId} is squeue's JOBID for either
 * ({@code 42_4}, {@code 42_[5-9%2]}), the plain id otherwise.
 */
public record JobView(long jobId, String name, String user, Integer uid, Integer gid, String partition,
                      String account, String qos, String state, String stateShort, String reason,
                      String submitTime, String startTime, String endTime, Integer timeLimitMinutes,
                      String nodes, Integer numNodes, Integer numCpus, Integer ntasks, Integer cpusPerTask,
                      Long memMb, Integer exitCode, Integer signal, String workDir, String stdout, String stderr,
                      Long arrayJobId, Integer arrayTaskId, String arrayTasks) {

    public String getDisplayId() {
        if (arrayJobId == null) {
            return Long.toString(jobId);
        }
        if (arrayTaskId != null) {
            return arrayJobId + "_" + arrayTaskId;
        }
        return arrayTasks == null ? Long.toString(jobId) : arrayJobId + "_[" + arrayTasks + "]";
    }
}
