package dev.sluice.accounting.sacct;

import java.time.Instant;
import java.util.List;

/**
 * One job as sacct shows it, with its steps. Field names follow sacct's {@code --format} fields in camel case.
 *
 * @param jobId     the job id as users write it ({@code 42}; array jobs will read {@code 42_3})
 * @param jobIdRaw  the numeric id
 * @param group     the group name; the numeric gid until identity provides names, as Slurm shows unknown groups
 * @param exitCode  {@code exit:signal} of the batch script, {@code 0:0} while it runs
 * @param derivedExitCode the highest {@code exit:signal} among the job's srun steps, {@code 0:0} when none
 */
public record SacctRecord(String jobId, long jobIdRaw, String jobName, String partition, String account,
                          String user, Integer uid, String group, Integer gid, int allocCpus, Integer reqCpus,
                          String state, String exitCode, String derivedExitCode, Instant submit, Instant eligible,
                          Instant start, Instant end, long elapsedSeconds, Integer timelimitMinutes,
                          String nodeList, Long reqMemMb, Long maxRssKb, long totalCpuMs, long userCpuMs,
                          long systemCpuMs, String workDir, String reqTres, String allocTres,
                          List<SacctStep> steps) {

    /** One step ({@code 42.batch}, {@code 42.0}), folded over the nodes it ran on. */
    public record SacctStep(String stepId, String jobIdFull, String state, String exitCode, Instant start,
                            Instant end, long elapsedSeconds, String nodeList, Long maxRssKb, long totalCpuMs) {
    }
}
