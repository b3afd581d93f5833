package dev.sluice.accounting.identity;

import dev.sluice.accounting.admin.AdminService;
import dev.sluice.accounting.admin.AdminState;
import dev.sluice.accounting.admin.Sacctmgr;
import dev.sluice.contracts.Event;
import dev.sluice.contracts.Topics;
import dev.sluice.contracts.cloudevents.KafkaCloudEvents;
import dev.sluice.contracts.identity.AccountAssociation;
import dev.sluice.contracts.identity.UserRemoved;
import dev.sluice.contracts.identity.UserUpserted;
import dev.sluice.contracts.kafka.KafkaSettings;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Identity's LDAP sync becomes accounting's users and associations: each {@code identity.user-upserted.v1} makes
 * the user's associations exactly the accounts identity's mapping gives them (accounts created when missing,
 * shares kept in step), and {@code identity.user-removed.v1} deletes the user. Everything goes through the same
 * sacctmgr engine as an administrator's commands, so it is stored, published as association events for the
 * scheduler and submit, and idempotent: a replay adds nothing ("Nothing new added"). Job history is never touched.
 */
@ApplicationScoped
public class IdentityAssociations {
    private static final Logger LOG = Logger.getLogger(IdentityAssociations.class);

    @Inject
    AdminService admin;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @ConfigProperty(name = "sluice.accounting.identity-sync", defaultValue = "true")
    boolean enabled;

    private volatile KafkaConsumer<String, byte[]> consumer;
    private Thread thread;

    void onStart(@Observes @Priority(30) StartupEvent ev) {
        if (!enabled) {
            return;
        }
        Map<String, Object> props = new HashMap<>(
                KafkaSettings.consumer(bootstrapServers, "sluice-accounting-identity", "sluice-accounting-identity"));
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumer = new KafkaConsumer<>(props);
        consumer.subscribe(List.of(Topics.IDENTITY_EVENTS));
        // a platform thread: it blocks in poll for its whole life
        thread = Thread.ofPlatform().daemon().name("identity-associations").start(this::loop);
    }

    void onStop(@Observes ShutdownEvent ev) {
        if (consumer != null) {
            consumer.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void loop() {
        try (KafkaConsumer<String, byte[]> c = consumer) {
            while (true) {
                var records = c.poll(Duration.ofSeconds(1));
                for (ConsumerRecord<String, byte[]> r : records) {
                    try {
                        var event = KafkaCloudEvents.fromRecord(r);
                        if (event.isPresent()) {
                            apply(event.get().data());
                        }
                    } catch (Exception e) {
                        // one bad record must not stop every later user: say which, go on
                        LOG.errorf(e, "identity: cannot apply %s at offset %d", r.key(), r.offset());
                    }
                }
                if (!records.isEmpty()) {
                    c.commitSync();
                }
            }
        } catch (WakeupException e) {
            // shutting down
        }
    }

    void apply(Event event) throws Exception {
        for (List<String> command : commands(event, admin.snapshot())) {
            Sacctmgr.Outcome out = admin.run(command);
            if (out.rc() != 0) {
                LOG.warnf("identity: sacctmgr %s: %s", String.join(" ", command), out.text().strip());
            } else if (!out.changes().isEmpty()) {
                LOG.infof("identity: sacctmgr %s", String.join(" ", command));
            }
        }
    }

    /** The sacctmgr commands that make accounting agree with one identity event; none when it already does. */
    static List<List<String>> commands(Event event, AdminState state) {
        List<List<String>> out = new ArrayList<>();
        switch (event) {
            case UserUpserted u -> {
                List<AccountAssociation> wanted = u.accounts() == null ? List.of() : u.accounts();
                Set<String> wantedAccounts = new LinkedHashSet<>();
                for (AccountAssociation a : wanted) {
                    if (!wantedAccounts.add(a.account())) {
                        continue;
                    }
                    if (!state.accounts.containsKey(a.account())) {
                        out.add(List.of("add", "account", a.account(), "Description=" + a.account() + " (from LDAP)"));
                    }
                    List<AdminState.Assoc> have = state.userAssocs(u.user()).stream()
                            .filter(x -> x.key().account().equals(a.account())).toList();
                    if (have.isEmpty()) {
                        List<String> add = new ArrayList<>(List.of("add", "user", u.user(), "Account=" + a.account()));
                        if (a.shares() > 0) {
                            add.add("Fairshare=" + a.shares());
                        }
                        if (!state.users.containsKey(u.user()) && !wanted.isEmpty()) {
                            add.add("DefaultAccount=" + wanted.getFirst().account());
                        }
                        out.add(add);
                    } else if (a.shares() > 0 && have.stream().anyMatch(x -> x.shares() != a.shares())) {
                        out.add(List.of("modify", "user", u.user(), "where", "account=" + a.account(), "set",
                                "Fairshare=" + a.shares()));
                    }
                }
                for (AdminState.Assoc a : state.userAssocs(u.user())) {
                    if (!wantedAccounts.contains(a.key().account())) {
                        out.add(List.of("delete", "user", u.user(), "where", "account=" + a.key().account()));
                    }
                }
            }
            case UserRemoved r -> {
                if (state.users.containsKey(r.user())) {
                    out.add(List.of("delete", "user", r.user()));
                }
            }
            default -> {
            }
        }
        return out;
    }
}
