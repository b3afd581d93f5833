package dev.sluice.scheduler.loop;

import dev.sluice.contracts.kafka.TopicSetup;
import dev.sluice.scheduler.cluster.ClusterSnapshot;
import dev.sluice.scheduler.core.config.ClusterConfig;
import dev.sluice.scheduler.standby.LeaderElection;
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

/**
 * Joins the scheduler leader election with the service and leaves it with it. While this instance is the active
 * one it runs the scheduling loop; otherwise it stands by (see {@link LeaderElection}). Ready only while it is
 * active and its state is rebuilt, so that a load balancer sends requests to the active instance alone.
 */
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

    /** This instance's name in the election (shown by GET /api/v1/scheduler/leader); default host:port. */
    @ConfigProperty(name = "sluice.scheduler.instance-id")
    Optional<String> instanceId;

    /** How long a killed active instance keeps the leadership before a standby takes over. */
    @ConfigProperty(name = "sluice.scheduler.leader.session-timeout", defaultValue = "10s")
    java.time.Duration sessionTimeout;

    @ConfigProperty(name = "quarkus.http.port", defaultValue = "6821")
    int httpPort;

    @Inject
    ClusterSnapshot snapshot;

    @Inject
    dev.sluice.scheduler.cluster.JobsSnapshot jobs;

    private volatile SchedulerLoop loop;
    private volatile LeaderElection election;

    void onStart(@Observes StartupEvent event) {
        ClusterConfig config = ClusterConfig.loadOrDefault(clusterConfigFile);
        TopicSetup.ensureTopics(bootstrapServers, replicationFactor);
        String id = instanceId.filter(s -> !s.isBlank()).orElseGet(this::defaultInstanceId);
        election = new LeaderElection(new LeaderElection.Settings(bootstrapServers, LeaderElection.GROUP, id,
                sessionTimeout, replicationFactor), this::startTerm).start();
        LOG.infof("Scheduler %s for cluster %s started: %d partitions; joining the leader election", id,
                config.clusterName(), config.partitions().size());
    }

    /** One leadership term: a fresh loop, whose initTransactions fences whichever instance scheduled before. */
    private LeaderElection.Term startTerm() {
        // the file as the latest reconfigure left it: a standby has not seen the active one's reconfigure
        SchedulerLoop l = new SchedulerLoop(SchedulerLoop.Settings.defaults(bootstrapServers),
                ClusterConfig.loadOrDefault(clusterConfigFile), Clock.systemUTC(), snapshot::publish)
                .onJobs(jobs::publish).onPlannedStarts(jobs::publishPlanned).start();
        loop = l;
        return new LeaderElection.Term() {
            @Override
            public boolean alive() {
                return l.alive();
            }

            @Override
            public void stop() {
                l.close();
                if (loop == l) {
                    loop = null;
                }
            }
        };
    }

    private String defaultInstanceId() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName() + ":" + httpPort;
        } catch (java.io.IOException e) {
            return "scheduler-" + ProcessHandle.current().pid();
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        if (election != null) {
            election.close();
        }
    }

    /** The leader election this instance takes part in (null before start-up). */
    public LeaderElection election() {
        return election;
    }

    /** True while this instance is the active scheduler and its loop has rebuilt the state. */
    public boolean scheduling() {
        SchedulerLoop l = loop;
        LeaderElection e = election;
        return l != null && l.ready() && e != null && e.role() == LeaderElection.Role.ACTIVE;
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
            LeaderElection e = election;
            return java.util.concurrent.CompletableFuture.failedFuture(new IllegalStateException(
                    e != null && e.role() == LeaderElection.Role.STANDBY ? "this scheduler instance is the standby"
                            : "the scheduler is starting"));
        }
        return l.admin(input);
    }

    @Override
    public HealthCheckResponse call() {
        SchedulerLoop l = loop;
        LeaderElection e = election;
        var builder = HealthCheckResponse.named("scheduler-loop").status(scheduling());
        if (e != null) {
            builder.withData("instance", e.instanceId()).withData("role", e.role().name());
        }
        if (l != null) {
            l.failure().ifPresent(f -> builder.withData("lastError", String.valueOf(f.getMessage())));
            builder.withData("committedTransactions", l.committedTransactions());
        }
        return builder.build();
    }
}
