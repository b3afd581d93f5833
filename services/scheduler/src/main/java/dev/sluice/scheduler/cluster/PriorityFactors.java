package dev.sluice.scheduler.cluster;

import dev.sluice.scheduler.core.ClusterView;
import dev.sluice.scheduler.core.Job;
import dev.sluice.scheduler.core.Policy;
import dev.sluice.scheduler.core.Priority;
import dev.sluice.scheduler.core.config.ClusterConfig;
import dev.sluice.scheduler.core.fairshare.ClassicFairshare;
import dev.sluice.scheduler.core.fairshare.FairTree;

import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * sprio's view of a job: its priority and each factor's weighted share, as slurm.conf's weights make them. Each
 * factor is the core's own {@link Priority} evaluated with that one weight kept, so the breakdown cannot drift
 * from the formula the scheduler orders jobs by.
 */
final class PriorityFactors {
    static final List<String> WEIGHTS = List.of("PriorityWeightAge", "PriorityWeightFairshare",
            "PriorityWeightJobSize", "PriorityWeightPartition", "PriorityWeightQOS", "PriorityWeightTRES");
    private static final Map<String, String> FACTOR = Map.of("PriorityWeightAge", "Age",
            "PriorityWeightFairshare", "Fairshare", "PriorityWeightJobSize", "JobSize",
            "PriorityWeightPartition", "Partition", "PriorityWeightQOS", "QOS", "PriorityWeightTRES", "TRES");

    private final ClusterConfig config;
    private final Policy policy;
    private final Priority all;
    private final Map<String, Priority> single = new LinkedHashMap<>();
    private final Map<String, Double> fairshare;
    private final Priority.Totals totals;
    private final Instant now;

    PriorityFactors(ClusterConfig config, Policy policy, ClusterView view, Instant now) {
        this.config = config;
        this.policy = policy == null ? Policy.NONE : policy;
        this.now = now;
        all = new Priority(config);
        for (String w : WEIGHTS) {
            Map<String, String> s = new HashMap<>(config.settings());
            WEIGHTS.stream().filter(o -> !o.equals(w)).forEach(o -> s.remove(o.toLowerCase(Locale.ROOT)));
            single.put(w, new Priority(new ClusterConfig(config.clusterName(), config.nodes(), config.partitions(), s)));
        }
        boolean classic = config.settings().getOrDefault("priorityflags", "").toUpperCase(Locale.ROOT)
                .contains("NO_FAIR_TREE");
        fairshare = classic ? ClassicFairshare.factors(this.policy.shareTree()) : FairTree.factors(this.policy.shareTree());
        long cpus = 0;
        long mem = 0;
        for (ClusterView.NodeView n : view.nodes()) {
            cpus += n.cpus();
            mem += n.memoryMb();
        }
        int maxFactor = 0;
        for (ClusterConfig.PartitionDef d : config.partitions()) {
            maxFactor = Math.max(maxFactor, integer(d.param("PriorityJobFactor").orElse(null)));
        }
        int maxQos = 0;
        for (Policy.Qos q : this.policy.qos().values()) {
            maxQos = Math.max(maxQos, q.priority());
        }
        totals = new Priority.Totals(cpus, gpus(config), mem, maxFactor, maxQos);
    }

    /** Adds Priority and PriorityFactors (Slurm's sprio columns) to a job record. */
    void addTo(Job j, Map<String, Object> m) {
        String account = j.request().account() != null ? j.request().account()
                : policy.defaultAccount(j.user()).orElse("");
        double fs = fairshare.getOrDefault(j.user() + "@" + account, 0.0);
        int pf = j.partition() == null ? 0 : config.partition(j.partition())
                .map(d -> integer(d.param("PriorityJobFactor").orElse(null))).orElse(0);
        String q = j.request().qos() != null ? j.request().qos() : "normal";
        Policy.Qos qos = policy.qos().get(q);
        int qp = qos == null ? 0 : qos.priority();
        int nice = j.request().effectiveNice();
        Map<String, Object> factors = new LinkedHashMap<>();
        for (Map.Entry<String, Priority> e : single.entrySet()) {
            factors.put(FACTOR.get(e.getKey()), Math.round(e.getValue().of(j, now, fs, pf, qp, totals) + nice));
        }
        factors.put("Nice", nice);
        long priority = j.adminPriority() != null ? j.adminPriority()
                : Math.max(0, Math.round(all.of(j, now, fs, pf, qp, totals)));
        m.put("Priority", priority);
        m.put("PriorityFactors", factors);
    }

    /** {@code GET /api/v1/priority/weights}: every weight, 0 where slurm.conf leaves it unset. */
    static Map<String, Object> weights(ClusterConfig config) {
        Map<String, Object> w = new LinkedHashMap<>();
        boolean basic = config.settings().getOrDefault("prioritytype", "priority/multifactor")
                .equalsIgnoreCase("priority/basic");
        for (String k : WEIGHTS) {
            String v = config.settings().get(k.toLowerCase(Locale.ROOT));
            w.put(k, basic || v == null ? (Object) 0L : k.equals("PriorityWeightTRES") ? v : (Object) Math.round(
                    Double.parseDouble(v.trim())));
        }
        w.put("PriorityType", config.settings().getOrDefault("prioritytype", "priority/multifactor"));
        return Map.of("weights", w);
    }

    private static long gpus(ClusterConfig config) {
        long n = 0;
        for (ClusterConfig.NodeDef d : config.nodes()) {
            String gres = d.param("Gres").orElse(null);
            if (gres == null) {
                continue;
            }
            int count;
            try {
                count = dev.sluice.scheduler.core.config.Hostlist.expand(d.name()).size();
            } catch (RuntimeException e) {
                count = 1;
            }
            for (String g : gres.split(",")) {
                String[] p = g.split(":");
                if (p[0].equals("gpu") && p.length >= 2) {
                    n += (long) count * integer(p[p.length - 1].replaceAll("\\(.*", ""));
                }
            }
        }
        return n;
    }

    private static int integer(String v) {
        if (v == null) {
            return 0;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
