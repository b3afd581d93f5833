package dev.sluice.identity.sync;

import dev.sluice.contracts.kafka.TopicSetup;
import dev.sluice.identity.IdentityConfig;
import dev.sluice.identity.ldap.LdapReader;
import dev.sluice.identity.ldap.LdapSettings;
import dev.sluice.identity.mapping.MappingStore;
import dev.sluice.identity.state.EventPublisher;
import dev.sluice.identity.state.PublishedStateLoader;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Wires the sync at start: creates the topics, rebuilds what was published from {@code sluice.identity.events},
 * and schedules the periodic sync when an LDAP server is configured.
 */
@ApplicationScoped
public class IdentityService {
    private static final Logger LOG = Logger.getLogger(IdentityService.class);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Inject
    IdentityConfig config;

    @Inject
    MappingStore mappings;

    private EventPublisher publisher;
    private SyncEngine engine;
    private ScheduledExecutorService schedule;

    void onStart(@Observes StartupEvent ev) {
        TopicSetup.ensureTopics(bootstrapServers, (short) 1);
        var published = PublishedStateLoader.load(bootstrapServers);
        LOG.infof("Rebuilt from %s: %d users, %d groups", dev.sluice.contracts.Topics.IDENTITY_EVENTS,
                published.users().size(), published.groups().size());
        publisher = new EventPublisher(bootstrapServers, config.sync().transactionalId());
        try {
            publisher.prepare();
        } catch (RuntimeException e) {
            LOG.warnf("Kafka transactions not ready yet (%s); the first sync will try again", e.getMessage());
        }
        LdapReader reader = settings() == null ? null : new LdapReader(settings());
        engine = new SyncEngine(reader, mappings::current, publisher, published, Clock.systemUTC());
        long every = config.sync().interval().toMillis();
        if (reader != null && every > 0) {
            schedule = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "identity-sync-schedule");
                t.setDaemon(true);
                return t;
            });
            // the first run right after start, so a newly deployed identity fills Sluice without waiting an interval
            schedule.scheduleWithFixedDelay(this::scheduledSync, 0, every, TimeUnit.MILLISECONDS);
            LOG.infof("LDAP sync from %s every %s", settings().url(), config.sync().interval());
        }
    }

    void onStop(@Observes ShutdownEvent ev) {
        if (schedule != null) {
            schedule.shutdownNow();
        }
        if (publisher != null) {
            publisher.close();
        }
    }

    private void scheduledSync() {
        try {
            SyncReport r = engine.run(false);
            LOG.infof("Scheduled LDAP sync: %s", r.summary());
        } catch (SyncFailedException e) {
            LOG.warnf("Scheduled LDAP sync failed: %s %s", e.getMessage(), e.problems());
        } catch (RuntimeException e) {
            LOG.warnf(e, "Scheduled LDAP sync failed");
        }
    }

    public SyncEngine engine() {
        return engine;
    }

    public String ldapUrl() {
        return config.ldap().url().filter(u -> !u.isBlank()).orElse(null);
    }

    private LdapSettings settings() {
        var l = config.ldap();
        if (ldapUrl() == null) {
            return null;
        }
        String base = l.baseDn().orElse("");
        var a = l.attributes();
        return new LdapSettings(ldapUrl(), l.bindDn().orElse(null), l.bindPassword().orElse(null),
                l.userBase().orElse(base), l.groupBase().orElse(base), l.userFilter(), l.groupFilter(),
                l.startTls(), l.trustStore().orElse(null), l.trustStorePassword().orElse(null), l.trustAll(),
                l.pageSize(), l.connectTimeout(), l.responseTimeout(),
                new LdapSettings.Attributes(a.userName(), a.uidNumber(), a.gidNumber(), a.displayName(), a.email(),
                        a.loginShell(), a.groupName(), a.memberUid(), a.member()));
    }
}
