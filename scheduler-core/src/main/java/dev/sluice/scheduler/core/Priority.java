package dev.sluice.scheduler.core;

import dev.sluice.scheduler.core.config.ClusterConfig;
import dev.sluice.scheduler.core.config.SlurmTime;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Slurm's priority/multifactor: {@code PriorityWeightAge * age + PriorityWeightFairshare * fairshare +
 * PriorityWeightJobSize * size + PriorityWeightPartition * partition + PriorityWeightQOS * qos + sum of
 * PriorityWeightTRES * tres - nice}, every factor between 0 and 1. The weights are slurm.conf's settings (all 0 by
 * default, which leaves submit order); {@code PriorityType=priority/basic} ignores them.
 */
public final class Priority {
    final double wAge;
    final double wFairshare;
    final double wSize;
    final double wPartition;
    final double wQos;
    final Map<String, Double> wTres;
    final Duration maxAge;
    final boolean favorSmall;

    public Priority(ClusterConfig config) {
        Map<String, String> s = config.settings();
        boolean basic = s.getOrDefault("prioritytype", "priority/multifactor").equalsIgnoreCase("priority/basic");
        wAge = basic ? 0 : num(s, "priorityweightage");
        wFairshare = basic ? 0 : num(s, "priorityweightfairshare");
        wSize = basic ? 0 : num(s, "priorityweightjobsize");
        wPartition = basic ? 0 : num(s, "priorityweightpartition");
        wQos = basic ? 0 : num(s, "priorityweightqos");
        wTres = new HashMap<>();
        String tres = s.get("priorityweighttres");
        if (!basic && tres != null) {
            for (String kv : tres.split(",")) {
                String[] p = kv.split("=");
                if (p.length == 2) {
                    wTres.put(p[0].trim().toLowerCase(Locale.ROOT), Double.parseDouble(p[1].trim()));
                }
            }
        }
        String age = s.get("prioritymaxage");
        Integer minutes = age == null ? Integer.valueOf(7 * 24 * 60) : SlurmTime.parseMinutes(age);
        maxAge = Duration.ofMinutes(minutes == null ? 7 * 24 * 60 : Math.max(1, minutes));
        favorSmall = s.getOrDefault("priorityfavorsmall", "NO").equalsIgnoreCase("YES");
        allZero = wAge == 0 && wFairshare == 0 && wSize == 0 && wPartition == 0 && wQos == 0
                && wTres.values().stream().allMatch(w -> w == 0);
    }

    private final boolean allZero;

    /** Every weight is 0: a job's priority is minus its nice. */
    boolean allZero() {
        return allZero;
    }

    private static double num(Map<String, String> s, String key) {
        String v = s.get(key);
        return v == null ? 0 : Double.parseDouble(v.trim());
    }

    /** Cluster-wide totals the size and TRES factors are relative to. */
    public record Totals(long cpus, long gpus, long memMb, int maxPartitionJobFactor, int maxQosPriority) {
    }

    /**
     * @param fairshare       the user association's factor (Fair Tree rank or classic 2^(-U/S))
     * @param partitionFactor the partition's PriorityJobFactor
     * @param qosPriority     the QoS's Priority
     */
    public double of(Job job, Instant now, double fairshare, int partitionFactor, int qosPriority, Totals t) {
        JobRequest r = job.request();
        if (allZero) {
            // Slurm's defaults: every weight 0 leaves only nice (and so submit order)
            return -r.effectiveNice();
        }
        double age = job.submitTime() == null ? 0
                : Math.min(1.0, Math.max(0, Duration.between(job.submitTime(), now).toMillis())
                / (double) maxAge.toMillis());
        long cpus = (long) r.effectiveTasks() * r.effectiveCpusPerTask();
        double size = t.cpus() == 0 ? 0 : Math.min(1.0, cpus / (double) t.cpus());
        if (favorSmall) {
            size = 1 - size;
        }
        double part = t.maxPartitionJobFactor() == 0 ? 0 : partitionFactor / (double) t.maxPartitionJobFactor();
        double qos = t.maxQosPriority() == 0 ? 0 : qosPriority / (double) t.maxQosPriority();
        double tres = 0;
        if (!wTres.isEmpty()) {
            long gpus = (long) r.effectiveGpusPerNode() * r.effectiveNodesMin();
            long mem = r.memPerNodeMb() != null ? r.memPerNodeMb() * r.effectiveNodesMin()
                    : r.memPerCpuMb() != null ? r.memPerCpuMb() * cpus : 0;
            tres += wTres.getOrDefault("cpu", 0.0) * frac(cpus, t.cpus());
            tres += wTres.getOrDefault("mem", 0.0) * frac(mem, t.memMb());
            tres += wTres.getOrDefault("gres/gpu", 0.0) * frac(gpus, t.gpus());
        }
        return wAge * age + wFairshare * fairshare + wSize * size + wPartition * part + wQos * qos + tres
                - r.effectiveNice();
    }

    private static double frac(long v, long total) {
        return total == 0 ? 0 : Math.min(1.0, v / (double) total);
    }
}
