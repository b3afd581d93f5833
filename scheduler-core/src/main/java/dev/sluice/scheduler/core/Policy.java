package dev.sluice.scheduler.core;

import dev.sluice.scheduler.core.fairshare.ShareTree;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What accounting knows and the scheduler needs: the association tree (accounts and user associations with
 * shares and limits), the QoS table and the decayed usage per user association. Arrives as
 * {@link Input.PolicyChanged}; until then every user runs under no limit with equal shares.
 *
 * @param usage decayed usage keyed by {@code user@account} (accounting's figure, e.g. CPU-seconds)
 */
public record Policy(List<Account> accounts, List<Association> users, Map<String, Qos> qos,
                     Map<String, Double> usage) {
    public static final Policy NONE = new Policy(List.of(), List.of(), Map.of(), Map.of());

    public Policy {
        accounts = List.copyOf(accounts);
        users = List.copyOf(users);
        qos = Map.copyOf(qos);
        usage = Map.copyOf(usage);
    }

    /** @param parent null or "root" for an account directly under the root */
    public record Account(String name, String parent, double shares, Limits limits) {
    }

    /** A user association; the first one of a user is its default account. */
    public record Association(String user, String account, double shares, Limits limits) {
    }

    /** @param denyOnLimit Flags=DenyOnLimit: a job over a limit is rejected at submission instead of waiting */
    public record Qos(String name, int priority, Limits limits, boolean denyOnLimit) {
    }

    /**
     * sacctmgr's limits; null is unlimited. TRES maps are keyed as Slurm writes them: {@code cpu}, {@code mem}
     * (MB), {@code node}, {@code gres/gpu}.
     *
     * @param grpTresRunMins GrpTRESRunMins: TRES times remaining minutes of the running jobs (cpu is GrpCPURunMins)
     */
    public record Limits(Integer grpJobs, Integer grpSubmitJobs, Integer maxJobs, Integer maxSubmitJobs,
                         Integer maxJobsPerUser, Integer maxWallMinutes, Map<String, Long> grpTres,
                         Map<String, Long> maxTresPerJob, Map<String, Long> maxTresPerUser,
                         Map<String, Long> grpTresRunMins) {
        public static final Limits NONE = new Limits(null, null, null, null, null, null, Map.of(), Map.of(),
                Map.of(), Map.of());

        public Limits {
            grpTres = grpTres == null ? Map.of() : Map.copyOf(grpTres);
            maxTresPerJob = maxTresPerJob == null ? Map.of() : Map.copyOf(maxTresPerJob);
            maxTresPerUser = maxTresPerUser == null ? Map.of() : Map.copyOf(maxTresPerUser);
            grpTresRunMins = grpTresRunMins == null ? Map.of() : Map.copyOf(grpTresRunMins);
        }

        public Limits withGrpJobs(Integer v) {
            return new Limits(v, grpSubmitJobs, maxJobs, maxSubmitJobs, maxJobsPerUser, maxWallMinutes, grpTres,
                    maxTresPerJob, maxTresPerUser, grpTresRunMins);
        }

        public Limits withMaxJobs(Integer v) {
            return new Limits(grpJobs, grpSubmitJobs, v, maxSubmitJobs, maxJobsPerUser, maxWallMinutes, grpTres,
                    maxTresPerJob, maxTresPerUser, grpTresRunMins);
        }

        public Limits withMaxSubmitJobs(Integer v) {
            return new Limits(grpJobs, grpSubmitJobs, maxJobs, v, maxJobsPerUser, maxWallMinutes, grpTres,
                    maxTresPerJob, maxTresPerUser, grpTresRunMins);
        }

        public Limits withMaxJobsPerUser(Integer v) {
            return new Limits(grpJobs, grpSubmitJobs, maxJobs, maxSubmitJobs, v, maxWallMinutes, grpTres,
                    maxTresPerJob, maxTresPerUser, grpTresRunMins);
        }

        public Limits withMaxWall(Integer v) {
            return new Limits(grpJobs, grpSubmitJobs, maxJobs, maxSubmitJobs, maxJobsPerUser, v, grpTres,
                    maxTresPerJob, maxTresPerUser, grpTresRunMins);
        }

        public Limits withGrpTres(Map<String, Long> v) {
            return new Limits(grpJobs, grpSubmitJobs, maxJobs, maxSubmitJobs, maxJobsPerUser, maxWallMinutes, v,
                    maxTresPerJob, maxTresPerUser, grpTresRunMins);
        }

        public Limits withMaxTresPerJob(Map<String, Long> v) {
            return new Limits(grpJobs, grpSubmitJobs, maxJobs, maxSubmitJobs, maxJobsPerUser, maxWallMinutes,
                    grpTres, v, maxTresPerUser, grpTresRunMins);
        }

        public Limits withMaxTresPerUser(Map<String, Long> v) {
            return new Limits(grpJobs, grpSubmitJobs, maxJobs, maxSubmitJobs, maxJobsPerUser, maxWallMinutes,
                    grpTres, maxTresPerJob, v, grpTresRunMins);
        }

        public Limits withGrpTresRunMins(Map<String, Long> v) {
            return new Limits(grpJobs, grpSubmitJobs, maxJobs, maxSubmitJobs, maxJobsPerUser, maxWallMinutes,
                    grpTres, maxTresPerJob, maxTresPerUser, v);
        }
    }

    public Optional<String> defaultAccount(String user) {
        return users.stream().filter(a -> a.user().equals(user)).map(Association::account).findFirst();
    }

    public Optional<Association> association(String user, String account) {
        return users.stream().filter(a -> a.user().equals(user) && a.account().equals(account)).findFirst();
    }

    public Optional<Account> account(String name) {
        return accounts.stream().filter(a -> a.name().equals(name)).findFirst();
    }

    /** The account and its ancestors, nearest first (root excluded). */
    public List<Account> lineage(String account) {
        Map<String, Account> byName = new HashMap<>();
        accounts.forEach(a -> byName.put(a.name(), a));
        java.util.ArrayList<Account> out = new java.util.ArrayList<>();
        Account a = byName.get(account);
        while (a != null && out.size() <= accounts.size()) {
            out.add(a);
            a = a.parent() == null ? null : byName.get(a.parent());
        }
        return out;
    }

    /** The fairshare tree with usage filled in; accounts are added parents first. */
    public ShareTree shareTree() {
        ShareTree t = new ShareTree();
        java.util.Set<String> added = new java.util.HashSet<>();
        added.add("root");
        boolean progress = true;
        while (progress) {
            progress = false;
            for (Account a : accounts) {
                String parent = a.parent() == null ? "root" : a.parent();
                if (!added.contains(a.name()) && added.contains(parent)) {
                    t.account(a.name(), parent, a.shares());
                    added.add(a.name());
                    progress = true;
                }
            }
        }
        for (Association u : users) {
            if (added.contains(u.account())) {
                t.user(u.user(), u.account(), u.shares(), usage.getOrDefault(u.user() + "@" + u.account(), 0.0));
            }
        }
        return t;
    }
}
