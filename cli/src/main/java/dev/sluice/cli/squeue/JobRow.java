package dev.sluice.cli.squeue;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One job as the submit service lists it (GET /api/v1/jobs); times are ISO-8601 text or null. The last fields
 * come from the scheduler's live record (GET /api/v1/jobs on the scheduler, scontrol's keys) when a column needs
 * them: priority, nice, the expected start of a pending job and array ids.
 */
public record JobRow(long jobId, String name, String user, Long uid, Long gid, String partition, String account,
                     String qos, String state, String stateShort, String reason, String submitTime,
                     String startTime, String endTime, Long timeLimitMinutes, String nodes, Integer numNodes,
                     Integer numCpus, Integer ntasks, Integer cpusPerTask, Long memMb, Integer exitCode,
                     Integer signal, String workDir, String stdout, String stderr, Long priority, Integer nice,
                     String arrayJobId, String arrayTaskId, String expectedStart, String arrayTasks) {

    /** This row with what the scheduler knows; the scheduler's reason is the fresher one for a pending job. */
    JobRow withScheduler(JsonNode s) {
        if (s == null) {
            return this;
        }
        Long prio = s.hasNonNull("Priority") && s.get("Priority").canConvertToLong()
                ? Long.valueOf(s.get("Priority").asLong()) : priority;
        Integer n = s.hasNonNull("Nice") ? Integer.valueOf(s.get("Nice").asInt()) : nice;
        String ajob = s.hasNonNull("ArrayJobId") ? s.get("ArrayJobId").asText() : arrayJobId;
        String atask = s.hasNonNull("ArrayTaskId") ? s.get("ArrayTaskId").asText() : arrayTaskId;
        boolean pending = "PENDING".equalsIgnoreCase(state);
        String start = pending && s.hasNonNull("StartTime") ? s.get("StartTime").asText() : expectedStart;
        String why = pending && s.hasNonNull("Reason") && "PENDING".equalsIgnoreCase(text(s, "JobState"))
                ? s.get("Reason").asText() : reason;
        return new JobRow(jobId, name, user, uid, gid, partition, account, qos, state, stateShort, why, submitTime,
                startTime, endTime, timeLimitMinutes, nodes, numNodes, numCpus, ntasks, cpusPerTask, memMb, exitCode,
                signal, workDir, stdout, stderr, prio, n, ajob, atask, start, arrayTasks);
    }

    private static String text(JsonNode n, String f) {
        return n.hasNonNull(f) ? n.get(f).asText() : null;
    }

    /** squeue's job id: {@code 42} or, for array jobs, {@code 42_7} / {@code 42_[6-15%4]}. */
    String displayId() {
        if (arrayJobId != null && arrayTaskId != null) {
            return arrayJobId + "_" + arrayTaskId;
        }
        // an array's pending remainder (submit's read model names the ids still pending)
        return arrayJobId != null && arrayTasks != null ? arrayJobId + "_[" + arrayTasks + "]" : Long.toString(jobId);
    }
}
