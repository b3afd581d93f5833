package dev.sluice.submit.cluster;

import dev.sluice.scheduler.core.config.ClusterConfig;
import jakarta.inject.Singleton;
import jakarta.enterprise.inject.Produces;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.Optional;

/** The partitions submit checks jobs against, from {@code sluice.cluster-config} or the one-partition default. */
public class ClusterConfigProducer {

    @Produces
    @Singleton
    ClusterConfig clusterConfig(@ConfigProperty(name = "sluice.cluster-config") Optional<String> file) {
        return ClusterConfig.loadOrDefault(file);
    }
}
