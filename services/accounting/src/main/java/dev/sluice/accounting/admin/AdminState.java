package dev.sluice.accounting.admin;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Everything sacctmgr administers, in memory: small (hundreds of rows on a large site), read on every command and
 * written through to PostgreSQL by {@link AdminStore}. Records are immutable; a command works on a {@link #copy()}
 * so that a refused command leaves nothing half done.
 */
public final class AdminState {
    public record Account(String name, String description, String organization) {
    }

    public record User(String name, String defaultAccount, String adminLevel) {
    }

    /** Key of an association; user and partition are "" when absent, as Slurm stores them. */
    public record AssocKey(String cluster, String account, String user, String partition)
            implements Comparable<AssocKey> {
        @Override
        public int compareTo(AssocKey o) {
            int c = cluster.compareTo(o.cluster);
            if (c == 0) c = account.compareTo(o.account);
            if (c == 0) c = user.compareTo(o.user);
            if (c == 0) c = partition.compareTo(o.partition);
            return c;
        }

        public boolean isUser() {
            return !user.isEmpty();
        }
    }

    public record Assoc(AssocKey key, String parent, int shares, Map<String, String> limits, List<String> qos,
                        String defaultQos) {
        public Assoc {
            limits = new TreeMap<>(limits);
            qos = List.copyOf(new LinkedHashSet<>(qos));
        }
    }

    public record Qos(String name, String description, int priority, Map<String, String> limits) {
        public Qos {
            limits = new TreeMap<>(limits);
        }
    }

    /** What a command changed, by key, for the store and the events. */
    public record Changes(Set<String> clusters, Set<String> accounts, Set<String> users, Set<AssocKey> assocs,
                          Set<String> qos) {
        public static Changes empty() {
            return new Changes(new LinkedHashSet<>(), new LinkedHashSet<>(), new LinkedHashSet<>(),
                    new LinkedHashSet<>(), new LinkedHashSet<>());
        }

        public boolean isEmpty() {
            return clusters.isEmpty() && accounts.isEmpty() && users.isEmpty() && assocs.isEmpty() && qos.isEmpty();
        }
    }

    public final Set<String> clusters;
    public final Map<String, Account> accounts;
    public final Map<String, User> users;
    public final Map<AssocKey, Assoc> assocs;
    public final Map<String, Qos> qos;

    public AdminState() {
        this(new LinkedHashSet<>(), new TreeMap<>(), new TreeMap<>(), new TreeMap<>(), new TreeMap<>());
    }

    private AdminState(Set<String> clusters, Map<String, Account> accounts, Map<String, User> users,
                       Map<AssocKey, Assoc> assocs, Map<String, Qos> qos) {
        this.clusters = clusters;
        this.accounts = accounts;
        this.users = users;
        this.assocs = assocs;
        this.qos = qos;
    }

    public AdminState copy() {
        return new AdminState(new LinkedHashSet<>(clusters), new TreeMap<>(accounts), new TreeMap<>(users),
                new TreeMap<>(assocs), new TreeMap<>(qos));
    }

    /** Slurm's starting point: the cluster, the root account and its association, and QoS normal. */
    public Changes bootstrap(String cluster) {
        Changes c = Changes.empty();
        if (clusters.add(cluster)) {
            c.clusters().add(cluster);
        }
        if (!accounts.containsKey("root")) {
            accounts.put("root", new Account("root", "default root account", "root"));
            c.accounts().add("root");
        }
        AssocKey root = new AssocKey(cluster, "root", "", "");
        if (!assocs.containsKey(root)) {
            assocs.put(root, new Assoc(root, null, 1, Map.of(), List.of("normal"), null));
            c.assocs().add(root);
        }
        if (!qos.containsKey("normal")) {
            qos.put("normal", new Qos("normal", "Normal QOS default", 0, Map.of()));
            c.qos().add("normal");
        }
        return c;
    }

    public List<Assoc> userAssocs(String user) {
        List<Assoc> out = new ArrayList<>();
        for (Assoc a : assocs.values()) {
            if (a.key().user().equals(user)) {
                out.add(a);
            }
        }
        return out;
    }
}
