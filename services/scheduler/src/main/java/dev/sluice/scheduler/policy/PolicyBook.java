package dev.sluice.scheduler.policy;

import dev.sluice.contracts.accounting.AccountingEvent;
import dev.sluice.contracts.accounting.AssociationChanged;
import dev.sluice.contracts.accounting.FairshareUsage;
import dev.sluice.contracts.accounting.QosChanged;
import dev.sluice.scheduler.core.Policy;
import dev.sluice.scheduler.core.config.SlurmTime;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The latest accounting event per key (association, QoS, usage), turned into the core's {@link Policy}. Every
 * accounting event carries its entity's whole state, so keeping the latest per key and rebuilding is idempotent:
 * a replay changes nothing.
 */
public final class PolicyBook {
    private final Map<String, AccountingEvent> latest = new LinkedHashMap<>();

    /** Applies one event; true when the policy changed. Removals drop the key. */
    public boolean apply(AccountingEvent e) {
        boolean removed = switch (e) {
            case AssociationChanged a -> a.removed();
            case QosChanged q -> q.removed();
            case FairshareUsage u -> false;
        };
        String key = bookKey(e);
        AccountingEvent before = removed ? latest.remove(key) : latest.put(key, e);
        return removed ? before != null : !sameState(before, e);
    }

    /**
     * Where an event is kept. A {@link FairshareUsage} has its association's {@code key()} (the same Kafka key, so
     * both stay in order on one partition), but it is a different fact: keyed alike, every usage publish (every
     * few seconds while jobs run) replaced the association and with it its shares and limits.
     */
    public static String bookKey(AccountingEvent e) {
        return e instanceof FairshareUsage ? "usage:" + e.key() : e.key();
    }

    /** Ignores the event time, so a republish of an unchanged entity (accounting does it at every start) is no change. */
    private static boolean sameState(AccountingEvent a, AccountingEvent b) {
        if (a == null) {
            return false;
        }
        return switch (b) {
            case AssociationChanged x -> a instanceof AssociationChanged y
                    && y.equals(new AssociationChanged(x.cluster(), x.account(), x.user(), x.partition(),
                    x.parentAccount(), x.shares(), x.limits(), x.qos(), x.defaultQos(), x.defaultAccount(), x.removed(),
                    y.time()));
            case QosChanged x -> a instanceof QosChanged y && y.equals(new QosChanged(x.name(), x.priority(),
                    x.description(), x.limits(), x.removed(), y.time()));
            case FairshareUsage x -> a instanceof FairshareUsage y && y.rawUsage() == x.rawUsage();
        };
    }

    /** Keyed by {@link #bookKey}. */
    public Map<String, AccountingEvent> entries() {
        return latest;
    }

    public void clear() {
        latest.clear();
    }

    public boolean isEmpty() {
        return latest.isEmpty();
    }

    public Policy policy() {
        List<Policy.Account> accounts = new ArrayList<>();
        List<AssociationChanged> users = new ArrayList<>();
        Map<String, Policy.Qos> qos = new HashMap<>();
        Map<String, Double> usage = new HashMap<>();
        for (AccountingEvent e : latest.values()) {
            switch (e) {
                case AssociationChanged a when a.user() == null || a.user().isBlank() -> {
                    if (!a.account().equals("root") && a.partition() == null) {
                        accounts.add(new Policy.Account(a.account(), a.parentAccount(), a.shares(), limits(a.limits())));
                    }
                }
                case AssociationChanged a -> users.add(a);
                case QosChanged q -> qos.put(q.name(), new Policy.Qos(q.name(), q.priority(), limits(q.limits()),
                        q.limits() != null && q.limits().getOrDefault("Flags", "").toLowerCase(Locale.ROOT)
                                .contains("denyonlimit")));
                case FairshareUsage u -> {
                    if (u.user() != null) {
                        usage.put(u.user() + "@" + u.account(), u.rawUsage());
                    }
                }
            }
        }
        // The core takes a user's first association as the default account: put the DefaultAccount first, and
        // partition-less associations before partition-specific ones.
        users.sort(Comparator.comparing(AssociationChanged::user)
                .thenComparing(a -> !a.account().equals(a.defaultAccount()))
                .thenComparing(a -> a.partition() != null));
        List<Policy.Association> assocs = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (AssociationChanged a : users) {
            if (seen.add(a.user() + "@" + a.account())) {
                assocs.add(new Policy.Association(a.user(), a.account(), a.shares(), limits(a.limits())));
            }
        }
        return new Policy(accounts, assocs, qos, usage);
    }

    /** sacctmgr's limit names and value syntax ({@code gres/gpu=2,cpu=4}, {@code 1-00:00:00}) in the core's terms. */
    static Policy.Limits limits(Map<String, String> m) {
        if (m == null || m.isEmpty()) {
            return Policy.Limits.NONE;
        }
        Map<String, String> l = new HashMap<>();
        m.forEach((k, v) -> l.put(k.toLowerCase(Locale.ROOT), v));
        return new Policy.Limits(count(l.get("grpjobs")), count(l.get("grpsubmitjobs")), count(l.get("maxjobs")),
                count(l.get("maxsubmitjobs")), count(l.get("maxjobsperuser")), wall(l.get("maxwall")),
                tres(l.get("grptres")), tres(l.get("maxtresperjob")), tres(l.get("maxtresperuser")),
                tres(l.get("grptresrunmins")));
    }

    private static Integer count(String v) {
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            long n = Long.parseLong(v.trim());
            return n < 0 ? null : (int) Math.min(n, Integer.MAX_VALUE);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Integer wall(String v) {
        if (v == null || v.isBlank() || v.equals("-1")) {
            return null;
        }
        return SlurmTime.parseMinutes(v.trim());
    }

    /** {@code cpu=4,mem=10G,gres/gpu=2}; memory in MB, a malformed entry is left out rather than made a limit. */
    static Map<String, Long> tres(String v) {
        Map<String, Long> out = new HashMap<>();
        if (v == null) {
            return out;
        }
        for (String part : v.split(",")) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String key = part.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            String val = part.substring(eq + 1).trim().toUpperCase(Locale.ROOT);
            long factor = 1;
            if (!val.isEmpty() && "KMGT".indexOf(val.charAt(val.length() - 1)) >= 0) {
                factor = switch (val.charAt(val.length() - 1)) {
                    case 'G' -> 1024;
                    case 'T' -> 1024 * 1024;
                    default -> 1;
                };
                if (val.endsWith("K")) {
                    factor = -1024;
                }
                val = val.substring(0, val.length() - 1);
            }
            try {
                long n = Long.parseLong(val);
                if (n < 0) {
                    continue;
                }
                out.put(key, factor < 0 ? Math.max(1, n / -factor) : n * factor);
            } catch (NumberFormatException ignored) {
                // left out: accounting validated it; an unreadable value must not become a zero limit
            }
        }
        return out;
    }
}
