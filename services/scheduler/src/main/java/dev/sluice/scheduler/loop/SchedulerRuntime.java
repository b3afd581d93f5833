package dev.sluice.scheduler.loop;

import dev.sluice.contracts.kafka.TopicSetup;
import dev.sluice.scheduler.cluster.ClusterSnapshot;
import dev.sluice.scheduler.core.config.ClusterConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.Optional;

/** Starts the scheduling loop with the service and stops it with it; ready once the state is rebuilt. */
@ApplicationScoped
@Readiness
@jakarta.enterprise.inject.Default
public class SchedulerRuntime implements HealthCheck {
    private static final Logger LOG = Logger.getLogger(SchedulerRuntime.class);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @ConfigProperty(name = "sluice.cluster-config")
    Optional<String> clusterConfigFile;

    @ConfigProperty(name = "sluice.kafka.replication-factor", defaultValue = "1")
    short replicationFactor;

    @Inject
    ClusterSnapshot snapshot;

    @Inject
    dev.sluice.scheduler.cluster.JobsSnapshot jobs;

    private volatile SchedulerLoop loop;

    void onStart(@Observes StartupEvent event) {
        ClusterConfig config = ClusterConfig.loadOrDefault(clusterConfigFile);
        TopicSetup.ensureTopics(bootstrapServers, replicationFactor);
        loop = new SchedulerLoop(SchedulerLoop.Settings.defaults(bootstrapServers), config, Clock.systemUTC(),
                snapshot::publish).onJobs(jobs::publish).start();
        LOG.infof("Scheduler for cluster %s started: %d partitions", config.clusterName(), config.partitions().size());
    }

    void onStop(@Observes ShutdownEvent event) {
        if (loop != null) {
            loop.close();
        }
    }

    /** The cluster description in use (the latest reconfigure's). */
    public ClusterConfig config() {
        SchedulerLoop l = loop;
        return l == null ? ClusterConfig.loadOrDefault(clusterConfigFile) : l.config();
    }

    /** The association tree and QoS table the core used in its last pass, if it has one yet. */
    public Optional<dev.sluice.scheduler.core.Policy> policy() {
        SchedulerLoop l = loop;
        return l == null ? Optional.empty() : l.policy();
    }

    /** sluice.cluster-config read again, for scontrol reconfigure. */
    public ClusterConfig readClusterConfig() {
        return ClusterConfig.loadOrDefault(clusterConfigFile);
    }

    public java.util.concurrent.CompletableFuture<Void> admin(dev.sluice.scheduler.core.Input input) {
        SchedulerLoop l = loop;
        if (l == null) {
            return java.util.concurrent.CompletableFuture.failedFuture(
                    new IllegalStateException("the scheduler is starting"));
        }
        return l.admin(input);
    }

    @Override
    public HealthCheckResponse call() {
        SchedulerLoop l = loop;
        var builder = HealthCheckResponse.named("scheduler-loop").status(l != null && l.ready());
        if (l != null) {
            l.failure().ifPresent(f -> builder.withData("lastError", String.valueOf(f.getMessage())));
            builder.withData("committedTransactions", l.committedTransactions());
        }
        return builder.build();
    }
}
