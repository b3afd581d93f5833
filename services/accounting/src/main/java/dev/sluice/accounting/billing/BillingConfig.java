package dev.sluice.accounting.billing;

import dev.sluice.scheduler.core.config.ClusterConfig;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Each partition's billing, from the cluster config file the scheduler reads too (sluice.cluster-config). */
@ApplicationScoped
public class BillingConfig {
    @ConfigProperty(name = "sluice.cluster-config")
    Optional<String> clusterConfig;

    private final Map<String, TresBilling> byPartition = new HashMap<>();
    private TresBilling fallback = TresBilling.CPUS;
    private ClusterConfig config;

    @PostConstruct
    void load() {
        config = ClusterConfig.loadOrDefault(clusterConfig);
        boolean maxTres = config.settings().getOrDefault("priorityflags", "")
                .toUpperCase(Locale.ROOT).contains("MAX_TRES");
        fallback = new TresBilling(Map.of(), maxTres);
        for (ClusterConfig.PartitionDef p : config.partitions()) {
            byPartition.put(p.name(), TresBilling.parse(p.param("TRESBillingWeights").orElse(null), maxTres));
        }
    }

    public TresBilling forPartition(String partition) {
        return partition == null ? fallback : byPartition.getOrDefault(partition, fallback);
    }

    public ClusterConfig cluster() {
        return config;
    }
}
