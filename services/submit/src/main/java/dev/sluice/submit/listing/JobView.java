package dev.sluice.submit.listing;

/**
 * One job as {@code GET /api/v1/jobs} shows it. Times are ISO-8601 or null; {@code timeLimitMinutes} null means
 * the partition's default (or UNLIMITED); {@code nodes} is a hostlist expression once the job has an allocation.
 */
public record JobView(long jobId, String name, String user, Integer uid, Integer gid, String partition,
                      String account, String qos, String state, String stateShort, String reason,
                      String submitTime, String startTime, String endTime, Integer timeLimitMinutes,
                      String nodes, Integer numNodes, Integer numCpus, Integer ntasks, Integer cpusPerTask,
                      Long memMb, Integer exitCode, Integer signal, String workDir, String stdout, String stderr) {
}
