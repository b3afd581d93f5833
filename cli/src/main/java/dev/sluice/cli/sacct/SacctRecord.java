package dev.sluice.cli.sacct;

import java.util.List;

/** One job as the accounting service reports it (GET /api/v1/sacct), with its steps. */
public record SacctRecord(String jobId, String jobIdRaw, String jobName, String partition, String account,
                          String user, Long uid, String group, Long gid, Integer allocCpus, Integer reqCpus,
                          String state, String exitCode, String submit, String start, String end,
                          Long elapsedSeconds, Long timelimitMinutes, String nodeList, Long reqMemMb,
                          Long maxRssKb, Long totalCpuMs, String workDir, String reqTres, String allocTres,
                          List<Step> steps) {

    public record Step(String stepId, String jobIdFull, String state, String exitCode, String start, String end,
                       Long elapsedSeconds, String nodeList, Long maxRssKb, Long totalCpuMs) {
    }

    public List<Step> stepsOrEmpty() {
        return steps == null ? List.of() : steps;
    }
}
