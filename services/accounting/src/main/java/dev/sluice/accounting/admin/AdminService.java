package dev.sluice.accounting.admin;

import dev.sluice.accounting.admin.AdminState.Assoc;
import dev.sluice.accounting.admin.AdminState.AssocKey;
import dev.sluice.accounting.admin.AdminState.Changes;
import dev.sluice.accounting.admin.AdminState.Qos;
import dev.sluice.accounting.admin.AdminState.User;
import dev.sluice.contracts.Event;
import dev.sluice.contracts.Topics;
import dev.sluice.contracts.accounting.AssociationChanged;
import dev.sluice.contracts.accounting.QosChanged;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.kafka.KafkaSettings;
import dev.sluice.contracts.kafka.TopicSetup;
import dev.sluice.scheduler.core.config.ClusterConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * Runs sacctmgr commands one at a time: the change is committed to PostgreSQL, then published on
 * {@code sluice.accounting.events} (acks=all, waited for) before the caller hears it succeeded. If publishing
 * fails the caller gets an error although the database has the change; the next start publishes the whole state
 * again, so scheduler and submit catch up (each event carries its entity's whole state, so a repeat is harmless).
 */
@ApplicationScoped
public class AdminService {
    static final String SOURCE = "/sluice/accounting";

    @Inject
    DataSource dataSource;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    @ConfigProperty(name = "sluice.cluster-config")
    Optional<String> clusterConfig;

    private AdminState state;
    private Sacctmgr sacctmgr;
    private KafkaProducer<String, byte[]> producer;
    private String cluster;
    private final Clock clock = Clock.systemUTC();

    void onStart(@Observes @Priority(10) StartupEvent ev) throws Exception {
        cluster = ClusterConfig.loadOrDefault(clusterConfig).clusterName();
        TopicSetup.ensureTopics(bootstrapServers, (short) 1);
        producer = new KafkaProducer<>(KafkaSettings.producer(bootstrapServers, "sluice-accounting-admin"));
        state = AdminStore.load(dataSource);
        Changes boot = state.bootstrap(cluster);
        AdminStore.save(dataSource, state, boot);
        sacctmgr = new Sacctmgr(cluster);
        publishAll();
    }

    void onStop(@Observes ShutdownEvent ev) {
        if (producer != null) {
            producer.close();
        }
    }

    public String cluster() {
        return cluster;
    }

    public synchronized Sacctmgr.Outcome run(List<String> args) throws Exception {
        Sacctmgr.Outcome out = sacctmgr.run(state, args);
        if (out.rc() == 0 && !out.changes().isEmpty()) {
            AdminStore.save(dataSource, state, out.changes());
            publish(events(out.changes(), clock.instant()));
        }
        return out;
    }

    /** A consistent copy for readers (reports, fairshare) that must not see a command half applied. */
    public synchronized AdminState snapshot() {
        return state.copy();
    }

    private void publishAll() throws Exception {
        Changes all = Changes.empty();
        all.assocs().addAll(state.assocs.keySet());
        all.qos().addAll(state.qos.keySet());
        publish(events(all, clock.instant()));
    }

    private List<Event> events(Changes c, Instant now) {
        List<Event> out = new ArrayList<>();
        for (String n : c.qos()) {
            Qos q = state.qos.get(n);
            out.add(q == null ? new QosChanged(n, 0, null, Map.of(), true, now)
                    : new QosChanged(n, q.priority(), q.description(), q.limits(), false, now));
        }
        for (AssocKey k : c.assocs()) {
            Assoc a = state.assocs.get(k);
            String user = k.isUser() ? k.user() : null;
            String partition = k.partition().isEmpty() ? null : k.partition();
            if (a == null) {
                out.add(new AssociationChanged(k.cluster(), k.account(), user, partition, null, 0, Map.of(),
                        List.of(), null, null, true, now));
            } else {
                User u = user == null ? null : state.users.get(user);
                out.add(new AssociationChanged(k.cluster(), k.account(), user, partition, a.parent(), a.shares(),
                        a.limits(), a.qos(), a.defaultQos(), u == null ? null : u.defaultAccount(), false, now));
            }
        }
        return out;
    }

    private void publish(List<Event> events) throws Exception {
        List<Future<?>> sent = new ArrayList<>();
        for (Event e : events) {
            var record = KafkaCloudEvents.toRecord(SOURCE, e);
            sent.add(producer.send(record));
        }
        for (Future<?> f : sent) {
            f.get(30, TimeUnit.SECONDS);
        }
    }
}
