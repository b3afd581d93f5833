package dev.sluice.scheduler.core;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Association and QoS limits. Max* limits of a user association are inherited from the nearest account above it
 * that sets them (as sacctmgr's inheritance does); Grp* limits of every account on the way to the root apply to
 * all jobs under it. A job over a limit waits with Slurm's reason; it is refused at submission only for
 * MaxSubmitJobs and, where the QoS has DenyOnLimit, for its per-job limits.
 */
final class Limits {
    static final String POLICY_VIOLATION =
            "Job violates accounting/QOS policy (job submit limit, user's size and/or time limits)";

    /** Running (and, for submit limits, pending) totals. */
    static final class Use {
        int jobs;
        int submitted;
        long cpus;
        long gpus;
        double cpuRunMins;

        void add(int jobs, long cpus, long gpus, double cpuRunMins) {
            this.jobs += jobs;
            this.cpus += cpus;
            this.gpus += gpus;
            this.cpuRunMins += cpuRunMins;
        }
    }

    private final Policy policy;
    private final Map<String, Use> byAssoc = new HashMap<>();
    private final Map<String, Use> byAccount = new HashMap<>();
    private final Map<String, Use> byUserQos = new HashMap<>();
    private final Map<String, Use> byQos = new HashMap<>();

    private final Map<String, List<Policy.Account>> lineages = new HashMap<>();
    private final Map<String, String> defaultAccounts = new HashMap<>();

    private Limits(Policy policy) {
        this.policy = policy;
    }

    private List<Policy.Account> lineage(String account) {
        return lineages.computeIfAbsent(account, policy::lineage);
    }

    /** Whether anything can refuse a submission: worth counting every job only then. */
    static boolean checksSubmit(Policy policy) {
        for (Policy.Association a : policy.users()) {
            if (a.limits() != null && a.limits().maxSubmitJobs() != null) {
                return true;
            }
        }
        for (Policy.Account a : policy.accounts()) {
            if (a.limits() != null && (a.limits().maxSubmitJobs() != null || a.limits().grpSubmitJobs() != null)) {
                return true;
            }
        }
        return policy.qos().values().stream().anyMatch(Policy.Qos::denyOnLimit);
    }

    /** Usage from every job the scheduler holds now. */
    static Limits of(Policy policy, Collection<Job> jobs, Instant now) {
        Limits l = new Limits(policy);
        if (l.inactive()) {
            return l;
        }
        for (Job j : jobs) {
            if (j.state() == JobState.RUNNING) {
                l.running(j, now);
            }
            if (j.state() == JobState.PENDING || j.state() == JobState.RUNNING) {
                String account = l.account(j);
                if (account != null) {
                    l.byAssoc.computeIfAbsent(j.user() + "@" + account, k -> new Use()).submitted++;
                    for (Policy.Account a : l.lineage(account)) {
                        l.byAccount.computeIfAbsent(a.name(), k -> new Use()).submitted++;
                    }
                }
            }
        }
        return l;
    }

    boolean inactive() {
        return policy.users().isEmpty() && policy.qos().isEmpty();
    }

    /** Policies without a single limit (shares only) skip the counting altogether. */
    static boolean hasLimits(Policy policy) {
        boolean any = false;
        for (Policy.Association a : policy.users()) {
            any |= a.limits() != null && !a.limits().equals(Policy.Limits.NONE);
        }
        for (Policy.Account a : policy.accounts()) {
            any |= a.limits() != null && !a.limits().equals(Policy.Limits.NONE);
        }
        for (Policy.Qos q : policy.qos().values()) {
            any |= q.limits() != null && !q.limits().equals(Policy.Limits.NONE) || q.denyOnLimit();
        }
        return any;
    }

    String account(Job j) {
        String a = j.request().account();
        return a != null ? a : defaultAccounts.computeIfAbsent(j.user(), u -> policy.defaultAccount(u).orElse(null));
    }

    private String qosName(Job j) {
        String q = j.request().qos();
        return q != null ? q : policy.qos().containsKey("normal") ? "normal" : null;
    }

    /** Counts a job that runs from now on. */
    void running(Job j, Instant now) {
        if (inactive()) {
            return;
        }
        long cpus = 0;
        long gpus = 0;
        for (NodeShare s : j.allocation()) {
            cpus += s.cpuIds().size();
            gpus += s.gpuIds().size();
        }
        double runMins = 0;
        if (j.timeLimitMinutes() != null && j.startTime() != null) {
            double left = j.timeLimitMinutes() - Duration.between(j.startTime(), now).toSeconds() / 60.0;
            runMins = cpus * Math.max(0, left);
        }
        String account = account(j);
        if (account != null) {
            byAssoc.computeIfAbsent(j.user() + "@" + account, k -> new Use()).add(1, cpus, gpus, runMins);
            for (Policy.Account a : lineage(account)) {
                byAccount.computeIfAbsent(a.name(), k -> new Use()).add(1, cpus, gpus, runMins);
            }
        }
        String q = qosName(j);
        if (q != null) {
            byUserQos.computeIfAbsent(j.user() + "@" + q, k -> new Use()).add(1, cpus, gpus, runMins);
            byQos.computeIfAbsent(q, k -> new Use()).add(1, cpus, gpus, runMins);
        }
    }

    private static long gpusOf(JobRequest r) {
        return (long) r.effectiveGpusPerNode() * r.effectiveNodesMin();
    }

    private static long cpusOf(JobRequest r) {
        return (long) r.effectiveTasks() * r.effectiveCpusPerTask();
    }

    /** The Max* limit of the user association: its own, else the nearest account's. */
    private <T> T inherited(Policy.Association assoc, String account, java.util.function.Function<Policy.Limits, T> f) {
        if (assoc != null && assoc.limits() != null && f.apply(assoc.limits()) != null) {
            return f.apply(assoc.limits());
        }
        for (Policy.Account a : lineage(account)) {
            if (a.limits() != null && f.apply(a.limits()) != null) {
                return f.apply(a.limits());
            }
        }
        return null;
    }

    private static Long tres(Map<String, Long> m, String key) {
        return m == null ? null : m.get(key);
    }

    /** Why the job must wait for its association or QoS, if it must. */
    Optional<Reason> blocked(Job j, Integer timeLimit) {
        if (inactive()) {
            return Optional.empty();
        }
        JobRequest r = j.request();
        long cpus = cpusOf(r);
        long gpus = gpusOf(r);
        String q = qosName(j);
        Policy.Qos qos = q == null ? null : policy.qos().get(q);
        if (qos != null && qos.limits() != null) {
            Policy.Limits l = qos.limits();
            Use u = byUserQos.getOrDefault(j.user() + "@" + q, new Use());
            Use all = byQos.getOrDefault(q, new Use());
            if (l.maxWallMinutes() != null && (timeLimit == null || timeLimit > l.maxWallMinutes())) {
                return Optional.of(Reason.QOS_MAX_WALL_DURATION_LIMIT);
            }
            if (l.maxJobsPerUser() != null && u.jobs >= l.maxJobsPerUser()) {
                return Optional.of(Reason.QOS_MAX_JOBS_PER_USER_LIMIT);
            }
            Long g = tres(l.maxTresPerUser(), "gres/gpu");
            if (g != null && gpus > 0 && u.gpus + gpus > g) {
                return Optional.of(Reason.QOS_MAX_GRES_PER_USER);
            }
            Long c = tres(l.maxTresPerUser(), "cpu");
            if (c != null && u.cpus + cpus > c) {
                return Optional.of(Reason.QOS_MAX_CPU_PER_USER_LIMIT);
            }
            Long gg = tres(l.grpTres(), "gres/gpu");
            if (gg != null && gpus > 0 && all.gpus + gpus > gg) {
                return Optional.of(Reason.QOS_GRP_GRES);
            }
        }
        String account = account(j);
        if (account == null) {
            return Optional.empty();
        }
        Policy.Association assoc = policy.association(j.user(), account).orElse(null);
        Use mine = byAssoc.getOrDefault(j.user() + "@" + account, new Use());
        Integer maxWall = inherited(assoc, account, Policy.Limits::maxWallMinutes);
        if (maxWall != null && (timeLimit == null || timeLimit > maxWall)) {
            return Optional.of(Reason.ASSOC_MAX_WALL_DURATION_LIMIT);
        }
        Integer maxJobs = inherited(assoc, account, Policy.Limits::maxJobs);
        if (maxJobs != null && mine.jobs >= maxJobs) {
            return Optional.of(Reason.ASSOC_MAX_JOBS_LIMIT);
        }
        if (assoc != null && assoc.limits() != null) {
            Optional<Reason> own = grp(assoc.limits(), mine, cpus, gpus, timeLimit);
            if (own.isPresent()) {
                return own;
            }
        }
        for (Policy.Account a : lineage(account)) {
            if (a.limits() != null) {
                Optional<Reason> over = grp(a.limits(), byAccount.getOrDefault(a.name(), new Use()), cpus, gpus,
                        timeLimit);
                if (over.isPresent()) {
                    return over;
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<Reason> grp(Policy.Limits l, Use u, long cpus, long gpus, Integer timeLimit) {
        if (l.grpJobs() != null && u.jobs >= l.grpJobs()) {
            return Optional.of(Reason.ASSOC_GRP_JOBS_LIMIT);
        }
        Long g = tres(l.grpTres(), "gres/gpu");
        if (g != null && gpus > 0 && u.gpus + gpus > g) {
            return Optional.of(Reason.ASSOC_GRP_GRES);
        }
        Long c = tres(l.grpTres(), "cpu");
        if (c != null && u.cpus + cpus > c) {
            return Optional.of(Reason.ASSOC_GRP_CPU_LIMIT);
        }
        Long rm = tres(l.grpTresRunMins(), "cpu");
        if (rm != null && timeLimit != null && u.cpuRunMins + (double) cpus * timeLimit > rm) {
            return Optional.of(Reason.ASSOC_GRP_CPU_RUN_MINUTES_LIMIT);
        }
        return Optional.empty();
    }

    /** Slurm's submission refusal, or empty. */
    Optional<String> deniedAtSubmit(Job j, Integer timeLimit) {
        if (inactive()) {
            return Optional.empty();
        }
        String account = account(j);
        if (account != null) {
            Policy.Association assoc = policy.association(j.user(), account).orElse(null);
            Integer maxSubmit = inherited(assoc, account, Policy.Limits::maxSubmitJobs);
            Use mine = byAssoc.getOrDefault(j.user() + "@" + account, new Use());
            if (maxSubmit != null && mine.submitted >= maxSubmit) {
                return Optional.of(POLICY_VIOLATION);
            }
            for (Policy.Account a : lineage(account)) {
                Integer grp = a.limits() == null ? null : a.limits().grpSubmitJobs();
                if (grp != null && byAccount.getOrDefault(a.name(), new Use()).submitted >= grp) {
                    return Optional.of(POLICY_VIOLATION);
                }
            }
        }
        String q = qosName(j);
        Policy.Qos qos = q == null ? null : policy.qos().get(q);
        if (qos != null && qos.denyOnLimit() && qos.limits() != null) {
            Policy.Limits l = qos.limits();
            JobRequest r = j.request();
            Long g = tres(l.maxTresPerJob(), "gres/gpu");
            Long c = tres(l.maxTresPerJob(), "cpu");
            Long gu = tres(l.maxTresPerUser(), "gres/gpu");
            if (g != null && gpusOf(r) > g || c != null && cpusOf(r) > c || gu != null && gpusOf(r) > gu
                    || l.maxWallMinutes() != null && (timeLimit == null || timeLimit > l.maxWallMinutes())) {
                return Optional.of(POLICY_VIOLATION);
            }
        }
        return Optional.empty();
    }

    static List<String> tresKeys() {
        return List.of("cpu", "mem", "node", "gres/gpu");
    }
}
