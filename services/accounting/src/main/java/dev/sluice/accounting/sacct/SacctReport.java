package dev.sluice.accounting.sacct;

import dev.sluice.accounting.billing.TresBilling;
import dev.sluice.accounting.history.JobRow;
import dev.sluice.accounting.history.StepRow;
import dev.sluice.accounting.sacct.SacctRecord.SacctStep;
import dev.sluice.scheduler.core.config.Hostlist;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds sacct lines from history rows: the folding and formatting rules, free of any database. */
public final class SacctReport {
    private SacctReport() {
    }

    public static SacctRecord record(JobRow j, List<StepRow> stepRows, Instant now) {
        return record(j, stepRows, now, TresBilling.CPUS);
    }

    /** As sacct shows it; ReqTRES and AllocTRES carry billing= with the partition's TRESBillingWeights. */
    public static SacctRecord record(JobRow j, List<StepRow> stepRows, Instant now, TresBilling billing) {
        List<SacctStep> steps = steps(j.jobId, stepRows, now);
        long user = 0;
        long system = 0;
        Long maxRss = null;
        for (StepRow s : stepRows) {
            user += nz(s.cpuUserMs);
            system += nz(s.cpuSystemMs);
            if (s.maxRssKb != null) {
                maxRss = maxRss == null ? s.maxRssKb : Math.max(maxRss, s.maxRssKb);
            }
        }
        String nodeList = j.nodeList != null ? j.nodeList : j.allocNodeNames;
        return new SacctRecord(j.displayId(), j.jobId, j.jobName, j.partitionName, j.account, j.userName,
                j.uid, j.gid == null ? null : Integer.toString(j.gid), j.gid,
                j.allocCpus == null ? 0 : j.allocCpus, j.reqCpus,
                j.state == null ? "PENDING" : j.state,
                exit(j.exitCode, j.exitSignal), derivedExitCode(stepRows),
                j.submitTime, j.eligibleTime != null ? j.eligibleTime : j.submitTime,
                j.startTime, j.endTime, elapsed(j.startTime, j.endTime, now), j.timeLimitMinutes,
                nodeList == null ? "None assigned" : nodeList,
                j.reqMemMb, maxRss, user + system, user, system, j.workDir,
                billed(billing, j.reqCpus == null ? 0 : j.reqCpus, j.reqMemMb, j.reqNodes == null ? 1 : j.reqNodes,
                        j.reqGpus == null ? 0 : j.reqGpus, j.gpuType),
                j.allocTime == null ? null : billed(billing, j.allocCpus, j.allocMemMb, j.allocNodes,
                        j.allocGpus == null ? 0 : j.allocGpus, j.allocGpuType != null ? j.allocGpuType : j.gpuType),
                steps);
    }

    /** Slurm's TRES string with billing first, as sacct sorts it: {@code billing=16,cpu=16,mem=60G,node=1}. */
    public static String billed(TresBilling billing, Integer cpus, Long memMb, Integer nodes, int gpus) {
        return billed(billing, cpus, memMb, nodes, gpus, null);
    }

    /** With the GPU type: {@code billing=..,cpu=8,mem=..,node=1,gres/gpu=2,gres/gpu:h100=2}. */
    public static String billed(TresBilling billing, Integer cpus, Long memMb, Integer nodes, int gpus,
                                String gpuType) {
        int c = cpus == null ? 0 : cpus;
        int n = nodes == null ? 1 : nodes;
        long bill = billing.billingCount(new TresBilling.Alloc(c, memMb == null ? 0 : memMb, n,
                gres(gpus, gpuType)));
        return "billing=" + bill + "," + tres(c, memMb, n, gpus, gpuType);
    }

    /** GRES counts as billing takes them: typed GPUs under "gpu:type" (GRES/gpu= still weighs them). */
    public static java.util.Map<String, Integer> gres(int gpus, String gpuType) {
        if (gpus <= 0) {
            return java.util.Map.of();
        }
        return gpuType == null || gpuType.isEmpty() ? java.util.Map.of("gpu", gpus)
                : java.util.Map.of("gpu:" + gpuType, gpus);
    }

    /** Slurm's TRES string: {@code cpu=2,mem=1G,node=1,gres/gpu=4}. */
    public static String tres(int cpus, Long memMb, int nodes, int gpus) {
        return tres(cpus, memMb, nodes, gpus, null);
    }

    /** Typed GPUs appear twice, as in Slurm: {@code gres/gpu=2,gres/gpu:h100=2}. */
    public static String tres(int cpus, Long memMb, int nodes, int gpus, String gpuType) {
        StringBuilder b = new StringBuilder("cpu=").append(cpus);
        if (memMb != null && memMb > 0) {
            b.append(",mem=").append(memMb % 1024 == 0 ? memMb / 1024 + "G" : memMb + "M");
        }
        b.append(",node=").append(nodes);
        if (gpus > 0) {
            b.append(",gres/gpu=").append(gpus);
            if (gpuType != null && !gpuType.isEmpty()) {
                b.append(",gres/gpu:").append(gpuType).append('=').append(gpus);
            }
        }
        return b.toString();
    }

    public static long elapsed(Instant start, Instant end, Instant now) {
        if (start == null) {
            return 0;
        }
        long s = Duration.between(start, end != null ? end : now).toSeconds();
        return Math.max(0, s);
    }

    static String exit(Integer code, Integer signal) {
        return (code == null ? 0 : code) + ":" + (signal == null ? 0 : signal);
    }

    /** Slurm derives it from the srun steps only; the batch script's own code is ExitCode. */
    static String derivedExitCode(List<StepRow> rows) {
        StepRow worst = null;
        for (StepRow s : rows) {
            if (s.stepId.equals("batch") || s.stepId.equals("extern") || s.endTime == null) {
                continue;
            }
            if (worst == null || severity(s) > severity(worst)) {
                worst = s;
            }
        }
        return worst == null ? "0:0" : exit(worst.exitCode, worst.exitSignal);
    }

    private static long severity(StepRow s) {
        return (long) nz(s.exitCode) * 256 + nz(s.exitSignal);
    }

    /** Steps in sacct's order (batch, extern, then numbered steps), each folded over its nodes. */
    static List<SacctStep> steps(long jobId, List<StepRow> rows, Instant now) {
        Map<String, List<StepRow>> byStep = new LinkedHashMap<>();
        for (StepRow r : rows) {
            byStep.computeIfAbsent(r.stepId, k -> new ArrayList<>()).add(r);
        }
        List<String> ids = new ArrayList<>(byStep.keySet());
        ids.sort(STEP_ORDER);
        List<SacctStep> out = new ArrayList<>();
        for (String id : ids) {
            out.add(fold(jobId, id, byStep.get(id), now));
        }
        return out;
    }

    static final Comparator<String> STEP_ORDER = Comparator.comparingInt(SacctReport::stepRank)
            .thenComparingLong(id -> id.matches("\\d+") ? Long.parseLong(id) : Long.MAX_VALUE)
            .thenComparing(Comparator.naturalOrder());

    private static int stepRank(String id) {
        return switch (id) {
            case "batch" -> 0;
            case "extern" -> 1;
            default -> 2;
        };
    }

    private static SacctStep fold(long jobId, String stepId, List<StepRow> rows, Instant now) {
        Instant start = null;
        Instant end = null;
        boolean allEnded = true;
        StepRow worst = null;
        Long maxRss = null;
        long cpu = 0;
        List<String> nodes = new ArrayList<>();
        for (StepRow r : rows) {
            nodes.add(r.node);
            if (r.startTime != null && (start == null || r.startTime.isBefore(start))) {
                start = r.startTime;
            }
            if (r.endTime == null) {
                allEnded = false;
            } else {
                if (end == null || r.endTime.isAfter(end)) {
                    end = r.endTime;
                }
                if (worst == null || isWorse(r, worst)) {
                    worst = r;
                }
            }
            if (r.maxRssKb != null) {
                maxRss = maxRss == null ? r.maxRssKb : Math.max(maxRss, r.maxRssKb);
            }
            cpu += nz(r.cpuUserMs) + nz(r.cpuSystemMs);
        }
        if (!allEnded) {
            end = null;
        }
        String state = !allEnded || worst == null ? "RUNNING" : worst.state;
        String exitCode = !allEnded || worst == null ? "0:0" : exit(worst.exitCode, worst.exitSignal);
        if (start == null && end != null) {
            start = end; // a step that failed to launch reports only its end
        }
        return new SacctStep(stepId, jobId + "." + stepId, state, exitCode, start, end, elapsed(start, end, now),
                Hostlist.compress(nodes), maxRss, cpu);
    }

    private static boolean isWorse(StepRow a, StepRow b) {
        boolean aOk = "COMPLETED".equals(a.state);
        boolean bOk = "COMPLETED".equals(b.state);
        if (aOk != bOk) {
            return !aOk;
        }
        return severity(a) > severity(b);
    }

    private static long nz(Long v) {
        return v == null ? 0 : v;
    }

    private static int nz(Integer v) {
        return v == null ? 0 : v;
    }
}
