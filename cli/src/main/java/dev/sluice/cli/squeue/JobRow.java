package dev.sluice.cli.squeue;

/** One job as the submit service lists it (GET /api/v1/jobs); times are ISO-8601 text or null. */
public record JobRow(long jobId, String name, String user, Long uid, Long gid, String partition, String account,
                     String qos, String state, String stateShort, String reason, String submitTime,
                     String startTime, String endTime, Long timeLimitMinutes, String nodes, Integer numNodes,
                     Integer numCpus, Integer ntasks, Integer cpusPerTask, Long memMb, Integer exitCode,
                     Integer signal, String workDir, String stdout, String stderr) {
}
