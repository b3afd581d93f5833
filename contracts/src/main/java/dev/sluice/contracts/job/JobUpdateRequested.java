package dev.sluice.contracts.job;

import dev.sluice.contracts.EventType;

import java.time.Instant;

/**
 * {@code scontrol update JobId=... TimeLimit= Partition= Nice= Priority=}: the fields given change, null ones
 * stay. Submit has already checked who may change what (raising a time limit, a negative nice and an explicit
 * priority are for administrators, {@code admin} true).
 *
 * @param timeLimitMinutes new time limit in minutes (0 = unlimited)
 * @param priority         an administrator's fixed priority; 0 holds the job as Slurm does
 */
@EventType("sluice.job.update-requested.v1")
public record JobUpdateRequested(long jobId, String requestedBy, boolean admin, Integer timeLimitMinutes,
                                 String partition, Integer nice, Long priority, Instant time) implements JobCommand {
}
